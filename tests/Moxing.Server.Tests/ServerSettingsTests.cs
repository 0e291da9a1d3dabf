using System.Collections;
using Moxing.Core;
using Moxing.Server.Hosting;
using Moxing.Server.Ollama;

namespace Moxing.Server.Tests;

public sealed class ServerSettingsTests
{
    [Fact]
    public void Command_line_beats_environment_beats_config_file()
    {
        var config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, """{"host":"0.0.0.0","port":9000,"models":["/a","/b"],"max_memory":"2G","keep_alive":"10m","parallel":3}""");
            var env = new Hashtable { ["MOXING_PORT"] = "9100", ["MOXING_PARALLEL"] = "5" };
            var options = ServerSettings.Resolve(config, env, new Dictionary<string, string> { ["parallel"] = "7" });
            Assert.Equal("0.0.0.0", options.Host);
            Assert.Equal(9100, options.Port);
            Assert.Equal(["/a", "/b"], options.Models);
            Assert.Equal(2L << 30, options.Manager.MaxMemoryBytes);
            Assert.Equal(TimeSpan.FromMinutes(10), options.Manager.KeepAlive);
            Assert.Equal(7, options.Manager.Parallel);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public void Defaults_and_errors()
    {
        var options = ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string>());
        Assert.Equal(("127.0.0.1", 8080), (options.Host, options.Port));
        Assert.Throws<MoxingException>(() => ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { ["port"] = "70000" }));
        Assert.Throws<MoxingException>(() => ServerSettings.Resolve(null, new Hashtable { ["MOXING_MAX_MEMORY"] = "lots" }, new Dictionary<string, string>()));
        Assert.Throws<MoxingException>(() => ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { ["colour"] = "red" }));
    }

    [Fact]
    public void Hardening_and_observability_settings_come_from_every_layer()
    {
        var config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, """{"cors_origin":["https://a.example","http://b.example:3000"],"max_body":"1M","log_format":"json","shutdown_grace":"10s"}""");
            var env = new Hashtable { ["MOXING_REQUEST_TIMEOUT"] = "2m", ["MOXING_OTLP"] = "http://collector:4318", ["MOXING_MAX_HEADER"] = "16K" };
            var options = ServerSettings.Resolve(config, env, new Dictionary<string, string> { ["tls_cert"] = "c.pem", ["tls_key"] = "k.pem" });
            Assert.Equal(["https://a.example", "http://b.example:3000"], options.CorsOrigins);
            Assert.Equal(1L << 20, options.MaxBodyBytes);
            Assert.Equal(16 << 10, options.MaxHeaderBytes);
            Assert.Equal(LogFormat.Json, options.LogFormat);
            Assert.Equal(TimeSpan.FromSeconds(10), options.ShutdownGrace);
            Assert.Equal(TimeSpan.FromMinutes(2), options.RequestTimeout);
            Assert.Equal(new Uri("http://collector:4318"), options.OtlpEndpoint);
            Assert.Equal(("c.pem", "k.pem"), (options.TlsCertificatePath, options.TlsKeyPath));

            var cli = ServerSettings.Resolve(config, new Hashtable { ["MOXING_CORS_ORIGIN"] = "https://c.example, https://d.example" },
                new Dictionary<string, string> { ["request_timeout"] = "none" });
            Assert.Equal(["https://c.example", "https://d.example"], cli.CorsOrigins);
            Assert.Null(cli.RequestTimeout);
        }
        finally
        {
            File.Delete(config);
        }
        var defaults = ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string>());
        Assert.Equal((ServerOptions.DefaultMaxBodyBytes, LogFormat.Text, ServerOptions.DefaultShutdownGrace), (defaults.MaxBodyBytes, defaults.LogFormat, defaults.ShutdownGrace));
        Assert.Empty(defaults.CorsOrigins);
        Assert.Null(defaults.RequestTimeout);
        Assert.Null(defaults.OtlpEndpoint);
    }

    [Theory]
    [InlineData("cors_origin", "https://a.example/path")]
    [InlineData("cors_origin", "*")]
    [InlineData("log_format", "xml")]
    [InlineData("shutdown_grace", "0")]
    [InlineData("request_timeout", "-5s")]
    [InlineData("max_body", "10")]
    [InlineData("otlp", "collector:4318")]
    public void Bad_hardening_settings_are_refused(string key, string value) =>
        Assert.Throws<MoxingException>(() => ServerSettings.Resolve(null, new Hashtable(), new Dictionary<string, string> { [key] = value }));

    [Theory]
    [InlineData("512M", 512L << 20)]
    [InlineData("1.5GiB", 3L << 29)]
    [InlineData("2GB", 2L << 30)]
    [InlineData("4096", 4096L)]
    public void Sizes(string text, long bytes) => Assert.Equal(bytes, ServerSettings.ParseBytes(text, "max_memory"));

    [Theory]
    [InlineData("5m", 300.0)]
    [InlineData("1h30m", 5400.0)]
    [InlineData("45", 45.0)]
    [InlineData("250ms", 0.25)]
    [InlineData("0", 0.0)]
    public void Durations(string text, double seconds)
    {
        Assert.True(KeepAlive.TryParseDuration(text, out var span));
        Assert.Equal(TimeSpan.FromSeconds(seconds), span);
    }

    [Fact]
    public void Negative_keep_alive_is_forever_and_junk_is_rejected()
    {
        Assert.True(KeepAlive.TryParseDuration("-1", out var forever));
        Assert.True(forever < TimeSpan.Zero);
        Assert.False(KeepAlive.TryParseDuration("5 minutes", out _));
        Assert.False(KeepAlive.TryParseDuration("", out _));
    }
}
