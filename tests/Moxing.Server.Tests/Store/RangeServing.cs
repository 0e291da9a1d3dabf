using Microsoft.AspNetCore.Http;

namespace Moxing.Server.Tests.Store;

/// <summary>Serves bytes as file servers and CDNs do: <c>Range: bytes=N-</c> answered with 206 (416 past the end), HEAD without a body, and a cut connection on request.</summary>
internal static class RangeServing
{
    /// <summary>Writes <paramref name="content"/> (from the requested offset); with <paramref name="cutAfter"/>, sends that many bytes and aborts the connection.</summary>
    public static async Task ServeAsync(HttpContext context, byte[] content, long? cutAfter)
    {
        long from = 0;
        var range = context.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range[6..^1]);
            if (from >= content.Length)
            {
                context.Response.StatusCode = 416;
                context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        context.Response.Headers.AcceptRanges = "bytes";
        context.Response.ContentLength = content.Length - from;
        if (context.Request.Method == "HEAD") return;
        if (cutAfter is { } cut)
        {
            var sent = (int)Math.Min(cut, content.Length - from);
            await context.Response.Body.WriteAsync(content.AsMemory((int)from, sent));
            await context.Response.Body.FlushAsync();
            // Abort discards output Kestrel has not yet written to the socket: give it time to go out first.
            await Task.Delay(200);
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(content.AsMemory((int)from));
    }
}
