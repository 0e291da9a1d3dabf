using System.Collections;
using Moxing.Core;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Moxing.Server.Observability;

/// <summary>Exports the server's spans and metrics to an OpenTelemetry collector over OTLP.</summary>
public static class OtlpExport
{
    /// <summary>
    /// Starts exporting each signal that has an endpoint: <paramref name="endpoint"/> for both, else per signal
    /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_METRICS_ENDPOINT (used as given) or OTEL_EXPORTER_OTLP_ENDPOINT in
    /// <paramref name="environment"/>; null when neither has one. The protocol is OTEL_EXPORTER_OTLP_PROTOCOL (grpc or
    /// http/protobuf, the default; over HTTP a base endpoint gets /v1/traces or /v1/metrics). Disposing flushes what is buffered.
    /// </summary>
    public static IDisposable? Start(Uri? endpoint, IDictionary environment)
    {
        var traces = Endpoint(endpoint, environment, "TRACES");
        var metrics = Endpoint(endpoint, environment, "METRICS");
        if (traces is null && metrics is null) return null;
        var protocol = Variable(environment, "OTEL_EXPORTER_OTLP_PROTOCOL") switch
        {
            null or "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            "grpc" => OtlpExportProtocol.Grpc,
            var other => throw new MoxingException($"OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf, got '{other}'"),
        };
        var resource = ResourceBuilder.CreateDefault();
        if (Variable(environment, "OTEL_SERVICE_NAME") is null) resource.AddService("moxing");
        var providers = new List<IDisposable>(2);
        if (traces is { } t)
            providers.Add(Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(MoxingTracing.SourceName)
                .AddOtlpExporter(o => Configure(o, t, protocol, "traces"))
                .Build());
        if (metrics is { } m)
            providers.Add(Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(ServerMetrics.MeterName)
                .AddOtlpExporter(o => Configure(o, m, protocol, "metrics"))
                .Build());
        return new Providers(providers);
    }

    /// <summary>An OTLP endpoint from the command line or configuration: an absolute http(s) URL.</summary>
    public static Uri Parse(string text, string key) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri : throw new MoxingException($"{key} must be an http:// or https:// URL such as http://localhost:4318, got '{text}'");

    // The signal's own variable is its full URL; a base endpoint (given, or OTEL_EXPORTER_OTLP_ENDPOINT) gets the signal's path over HTTP.
    private static (Uri Uri, bool IsBase)? Endpoint(Uri? given, IDictionary environment, string signal)
    {
        var signalVariable = $"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT";
        if (given is null && Variable(environment, signalVariable) is { } own) return (Parse(own, signalVariable), false);
        if (given is null && Variable(environment, "OTEL_EXPORTER_OTLP_ENDPOINT") is { } any) given = Parse(any, "OTEL_EXPORTER_OTLP_ENDPOINT");
        return given is null ? null : (given, true);
    }

    private static void Configure(OtlpExporterOptions options, (Uri Uri, bool IsBase) endpoint, OtlpExportProtocol protocol, string path)
    {
        options.Endpoint = endpoint.IsBase && protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(endpoint.Uri.AbsoluteUri.TrimEnd('/') + "/v1/" + path) : endpoint.Uri;
        options.Protocol = protocol;
    }

    private static string? Variable(IDictionary environment, string name) => environment[name] is string { Length: > 0 } v ? v : null;

    private sealed class Providers(List<IDisposable> providers) : IDisposable
    {
        public void Dispose()
        {
            foreach (var p in providers) p.Dispose();
        }
    }
}
