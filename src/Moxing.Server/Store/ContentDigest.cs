using System.Security.Cryptography;

namespace Moxing.Server.Store;

/// <summary>sha256 content digests as the store writes them ("sha256:" + 64 lower-case hex digits).</summary>
public static class ContentDigest
{
    /// <summary>The prefix of every digest.</summary>
    public const string Prefix = "sha256:";

    /// <summary>The digest of a finished hash.</summary>
    public static string FromHash(ReadOnlySpan<byte> sha256) => Prefix + Convert.ToHexStringLower(sha256);

    /// <summary>The digest of some bytes.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => FromHash(SHA256.HashData(bytes));

    /// <summary>The digest of a file's contents.</summary>
    public static string OfFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return FromHash(SHA256.HashData(stream));
    }

    /// <summary>True for "sha256:" followed by 64 lower-case hex digits.</summary>
    public static bool IsValid(string? digest) =>
        digest is { Length: 71 } && digest.StartsWith(Prefix, StringComparison.Ordinal) && IsHex64(digest.AsSpan(Prefix.Length));

    /// <summary>The digest a Hub ETag or LFS oid carries (64 hex digits, quotes and W/ removed), or null when it is not a sha256.</summary>
    public static string? FromEntityTag(string? etag)
    {
        if (etag == null) return null;
        var s = etag.Trim();
        if (s.StartsWith("W/", StringComparison.Ordinal)) s = s[2..];
        s = s.Trim('"').ToLowerInvariant();
        return IsHex64(s) ? Prefix + s : null;
    }

    /// <summary>The hex part of a digest.</summary>
    public static string Hex(string digest) => digest[Prefix.Length..];

    /// <summary>The file name of a blob with this digest ("sha256-" + hex: no ':' so it is valid everywhere).</summary>
    public static string FileName(string digest) => "sha256-" + Hex(digest);

    private static bool IsHex64(ReadOnlySpan<char> s)
    {
        if (s.Length != 64) return false;
        foreach (var c in s)
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f'))) return false;
        return true;
    }
}
