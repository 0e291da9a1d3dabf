using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Moxing.Server.Observability;

/// <summary>
/// Logs as JSON lines (<c>--log-format json</c>): one object per entry with time, level, category, message, every
/// structured field of the message and of its scopes (the request id among them), and the exception if any.
/// </summary>
public sealed class JsonLinesLoggerProvider(TextWriter output) : ILoggerProvider, ISupportExternalScope
{
    private readonly Lock _write = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new JsonLinesLogger(this, categoryName);

    /// <inheritdoc />
    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    /// <inheritdoc />
    public void Dispose() => output.Flush();

    private void Write<TState>(string category, LogLevel level, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("time", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            json.WriteString("level", level.ToString());
            json.WriteString("category", category);
            if (eventId.Id != 0) json.WriteNumber("event_id", eventId.Id);
            json.WriteString("message", formatter(state, exception));
            var written = new HashSet<string>(StringComparer.Ordinal) { "time", "level", "category", "event_id", "message", "exception" };
            _scopes.ForEachScope((scope, w) => WriteFields(w, scope, written), json);
            WriteFields(json, state, written);
            if (exception != null) json.WriteString("exception", exception.ToString());
            json.WriteEndObject();
        }
        var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        lock (_write)
        {
            output.Write(line);
            output.Write('\n');
            output.Flush();
        }
    }

    // Structured fields of a message or scope; the first value of a name wins, the template itself is left out.
    private static void WriteFields(Utf8JsonWriter json, object? fields, HashSet<string> written)
    {
        if (fields is not IEnumerable<KeyValuePair<string, object?>> pairs) return;
        foreach (var (key, value) in pairs)
        {
            if (key == "{OriginalFormat}" || !written.Add(key)) continue;
            switch (value)
            {
                case null: json.WriteNull(key); break;
                case bool b: json.WriteBoolean(key, b); break;
                case int or long or short or byte or uint or ulong: json.WriteNumber(key, Convert.ToDecimal(value, CultureInfo.InvariantCulture)); break;
                case double d when double.IsFinite(d): json.WriteNumber(key, d); break;
                case float f when float.IsFinite(f): json.WriteNumber(key, f); break;
                case decimal m: json.WriteNumber(key, m); break;
                default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            }
        }
    }

    private sealed class JsonLinesLogger(JsonLinesLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => provider._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) provider.Write(category, logLevel, eventId, state, exception, formatter);
        }
    }
}
