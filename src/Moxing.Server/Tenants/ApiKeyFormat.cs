using System.Security.Cryptography;

namespace Moxing.Server.Tenants;

/// <summary>
/// Keys look like <c>mx-ID-SECRET</c>: a 12-character public id and a 256-bit random secret (base64url). Only a salted
/// SHA-256 of the secret is stored; the secret's entropy makes a slow password hash unnecessary.
/// </summary>
public static class ApiKeyFormat
{
    private const string Prefix = "mx-";
    private const int IdLength = 12;
    private const int SecretBytes = 32;
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>A new random id and secret, and the full key text.</summary>
    public static (string Id, byte[] Secret, string Key) NewKey()
    {
        var id = RandomNumberGenerator.GetString(IdAlphabet, IdLength);
        var secret = RandomNumberGenerator.GetBytes(SecretBytes);
        return (id, secret, $"{Prefix}{id}-{Base64Url(secret)}");
    }

    /// <summary>Splits a presented key into id and secret; false when it is not of our format.</summary>
    public static bool TryParse(string key, out string id, out byte[] secret)
    {
        id = "";
        secret = [];
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length <= Prefix.Length + IdLength + 1) return false;
        var body = key.AsSpan(Prefix.Length);
        if (body[IdLength] != '-') return false;
        foreach (var ch in body[..IdLength])
            if (!IdAlphabet.Contains(ch)) return false;
        var decoded = FromBase64Url(body[(IdLength + 1)..].ToString());
        if (decoded is not { Length: SecretBytes }) return false;
        id = body[..IdLength].ToString();
        secret = decoded;
        return true;
    }

    /// <summary>SHA-256 of salt ‖ secret.</summary>
    public static byte[] Hash(byte[] salt, byte[] secret)
    {
        var buffer = new byte[salt.Length + secret.Length];
        salt.CopyTo(buffer, 0);
        secret.CopyTo(buffer, salt.Length);
        return SHA256.HashData(buffer);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        if (text.Length > 64) return null;
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - padded.Length % 4) % 4);
        var bytes = new byte[48];
        return Convert.TryFromBase64String(padded, bytes, out var written) ? bytes[..written] : null;
    }
}
