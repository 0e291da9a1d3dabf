using System.Security.Cryptography;

namespace Moxing.Server.Observability;

/// <summary>Request ids: a client's X-Request-Id is kept when it is safe to log and echo, otherwise a new one is made.</summary>
public static class RequestId
{
    /// <summary>The header that carries it, in and out.</summary>
    public const string Header = "X-Request-Id";

    /// <summary>The longest id accepted from a client.</summary>
    public const int MaxLength = 128;

    /// <summary>True when <paramref name="id"/> is 1–128 characters of letters, digits and <c>-_.:/+=@</c> (no spaces, quotes or controls, so it cannot forge log lines or headers).</summary>
    public static bool IsValid(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxLength) return false;
        foreach (var c in id)
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.' or ':' or '/' or '+' or '=' or '@'))
                return false;
        return true;
    }

    /// <summary>The client's id when valid, else a new random one.</summary>
    public static string From(string? clientId) => IsValid(clientId) ? clientId! : New();

    /// <summary>A new random id: 128 bits as 32 hex digits.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
