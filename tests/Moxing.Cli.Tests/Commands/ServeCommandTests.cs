namespace Moxing.Cli.Tests.Commands;

public sealed class ServeCommandTests
{
    [Fact]
    public void Cors_origin_repeats_and_each_value_is_checked()
    {
        var (code, _, error) = CliRunner.Run("serve", "--port", "0", "--cors-origin", "https://a.example", "--cors-origin", "not-an-origin");
        Assert.NotEqual(0, code);
        Assert.Contains("cors_origin", error);
        Assert.Contains("not-an-origin", error);
    }

    [Fact]
    public void Options_that_are_not_repeatable_still_refuse_a_second_value()
    {
        var (code, _, error) = CliRunner.Run("serve", "--port", "0", "--port", "1");
        Assert.NotEqual(0, code);
        Assert.Contains("--port is given twice", error);
    }

    [Fact]
    public void Tls_needs_both_files()
    {
        var (code, _, error) = CliRunner.Run("serve", "--port", "0", "--tls-cert", "cert.pem");
        Assert.NotEqual(0, code);
        Assert.Contains("--tls-key", error);
    }

    [Fact]
    public void The_new_settings_are_listed_in_the_usage()
    {
        var (code, output, _) = CliRunner.Run("serve", "--help");
        Assert.Equal(0, code);
        foreach (var flag in new[] { "--request-timeout", "--shutdown-grace", "--max-body", "--max-header", "--tls-cert", "--cors-origin", "--log-format", "--otlp", "/metrics" })
            Assert.Contains(flag, output);
    }
}
