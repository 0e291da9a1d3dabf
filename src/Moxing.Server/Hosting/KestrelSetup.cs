using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Moxing.Core;

namespace Moxing.Server.Hosting;

/// <summary>Kestrel as <c>moxing serve</c> runs it: the listening address, HTTPS from PEM files, and limits on what a request may send.</summary>
public static class KestrelSetup
{
    /// <summary>Longest request line (method, path, query).</summary>
    public const int MaxRequestLineBytes = 8 << 10;

    /// <summary>Applies <paramref name="options"/> to Kestrel; <paramref name="certificate"/> (from <see cref="LoadCertificate"/>) turns on HTTPS.</summary>
    public static void Configure(KestrelServerOptions kestrel, ServerOptions options, X509Certificate2? certificate)
    {
        kestrel.AddServerHeader = false;
        var limits = kestrel.Limits;
        limits.MaxRequestBodySize = options.MaxBodyBytes;
        limits.MaxRequestHeadersTotalSize = options.MaxHeaderBytes;
        limits.MaxRequestHeaderCount = ServerOptions.MaxHeaderCount;
        limits.MaxRequestLineSize = Math.Min(MaxRequestLineBytes, options.MaxHeaderBytes);
        // Slow-loris: a client must send headers within this time.
        limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        Action<ListenOptions> listen = certificate is null ? _ => { } : l => l.UseHttps(certificate);
        if (options.Host == "localhost") kestrel.ListenLocalhost(options.Port, listen);
        else if (IPAddress.TryParse(options.Host, out var ip)) kestrel.Listen(ip, options.Port, listen);
        else throw new MoxingException($"host '{options.Host}' must be an IP address or localhost");
    }

    /// <summary>The certificate of <see cref="ServerOptions.TlsCertificatePath"/> with the key of <see cref="ServerOptions.TlsKeyPath"/>; null when TLS is off.</summary>
    public static X509Certificate2? LoadCertificate(ServerOptions options)
    {
        var (cert, key) = (options.TlsCertificatePath, options.TlsKeyPath);
        if (cert is null && key is null) return null;
        if (cert is null || key is null) throw new MoxingException("TLS needs both --tls-cert and --tls-key (PEM files)");
        foreach (var path in (string[])[cert, key])
            if (!File.Exists(path)) throw new MoxingException($"{path}: no such file (TLS certificate and key must be PEM files)");
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(cert, key);
            // A PEM key is ephemeral; a PKCS#12 round trip gives a key SslStream can use on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (CryptographicException e)
        {
            throw new InvalidModelFileException(cert, $"not a PEM certificate matching the private key in {key}: {e.Message}", e);
        }
    }
}
