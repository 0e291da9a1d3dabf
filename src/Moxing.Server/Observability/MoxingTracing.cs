using System.Diagnostics;

namespace Moxing.Server.Observability;

/// <summary>The server's OpenTelemetry trace source: a span per HTTP request, with queue, prefill and decode spans per generation.</summary>
public static class MoxingTracing
{
    /// <summary>The name to subscribe to (ActivityListener or OpenTelemetry's AddSource).</summary>
    public const string SourceName = "Moxing.Server";

    /// <summary>The source every server span comes from.</summary>
    public static readonly ActivitySource Source = new(SourceName, typeof(MoxingTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Records a finished phase (queue, prefill, decode) of a generation as a child span of <paramref name="parent"/>.</summary>
    internal static void Phase(Activity parent, string name, DateTime startUtc, TimeSpan duration, int choice)
    {
        if (duration < TimeSpan.Zero) return;
        using var span = Source.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: startUtc);
        if (span is null) return;
        span.SetTag("moxing.choice", choice);
        span.SetEndTime(startUtc + duration);
    }
}
