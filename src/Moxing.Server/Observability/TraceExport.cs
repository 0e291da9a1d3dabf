using System.Collections;
using Moxing.Core;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Moxing.Server.Observability;

/// <summary>Exports the server's spans to an OpenTelemetry collector over OTLP.</summary>
public static class TraceExport
{
    /// <summary>
    /// Starts exporting when an endpoint is given (<paramref name="endpoint"/>, else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
    /// OTEL_EXPORTER_OTLP_ENDPOINT in <paramref name="environment"/>); null when there is none. The protocol is
    /// OTEL_EXPORTER_OTLP_PROTOCOL (grpc or http/protobuf, the default). Disposing flushes what is buffered.
    /// </summary>
    public static IDisposable? Start(Uri? endpoint, IDictionary environment)
    {
        var signalEndpoint = false;
        if (endpoint is null && Variable(environment, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") is { } traces)
        {
            endpoint = Parse(traces, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
            signalEndpoint = true;
        }
        if (endpoint is null && Variable(environment, "OTEL_EXPORTER_OTLP_ENDPOINT") is { } any) endpoint = Parse(any, "OTEL_EXPORTER_OTLP_ENDPOINT");
        if (endpoint is null) return null;
        var protocol = Variable(environment, "OTEL_EXPORTER_OTLP_PROTOCOL") switch
        {
            null or "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            "grpc" => OtlpExportProtocol.Grpc,
            var other => throw new MoxingException($"OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf, got '{other}'"),
        };
        // Over HTTP a base endpoint gets the traces path, as the OTLP spec says for OTEL_EXPORTER_OTLP_ENDPOINT.
        if (protocol == OtlpExportProtocol.HttpProtobuf && !signalEndpoint)
            endpoint = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/v1/traces");
        var resource = ResourceBuilder.CreateDefault();
        if (Variable(environment, "OTEL_SERVICE_NAME") is null) resource.AddService("moxing");
        return Sdk.CreateTracerProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSource(MoxingTracing.SourceName)
            .AddOtlpExporter(o =>
            {
                o.Endpoint = endpoint;
                o.Protocol = protocol;
            })
            .Build();
    }

    /// <summary>An OTLP endpoint from the command line or configuration: an absolute http(s) URL.</summary>
    public static Uri Parse(string text, string key) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri : throw new MoxingException($"{key} must be an http:// or https:// URL such as http://localhost:4318, got '{text}'");

    private static string? Variable(IDictionary environment, string name) => environment[name] is string { Length: > 0 } v ? v : null;
}
