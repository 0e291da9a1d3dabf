using System.Buffers;
using System.Text.Json;
using Moxing.Server.Http;

namespace Moxing.Server.OpenAi.Responses;

/// <summary>
/// The server-sent events of a streamed response, numbered in order (<c>sequence_number</c>) and serialized as they happen
/// (an item's state then, not later), held until <see cref="FlushAsync"/> writes them.
/// </summary>
public sealed class ResponseEvents
{
    private readonly List<(string Type, byte[] Data)> _pending = [];
    private int _sequence;

    /// <summary>Adds an event: <c>{"type": …, "sequence_number": …, fields…}</c>.</summary>
    public void Add(string type, Action<Utf8JsonWriter> fields)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, JsonStreamWriter.Options))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteNumber("sequence_number", _sequence++);
            fields(w);
            w.WriteEndObject();
        }
        _pending.Add((type, buffer.WrittenSpan.ToArray()));
    }

    /// <summary>Writes the events held, each named by its type; <paramref name="last"/>: the final one ends the stream (and commits its usage row first).</summary>
    public async Task FlushAsync(JsonStreamWriter sse, CancellationToken cancellation, bool last = false)
    {
        for (var i = 0; i < _pending.Count; i++)
        {
            var (type, data) = _pending[i];
            void Write(Utf8JsonWriter w) => w.WriteRawValue(data, skipInputValidation: true);
            if (last && i == _pending.Count - 1) await sse.WriteLastAsync(Write, cancellation, type);
            else await sse.WriteAsync(Write, cancellation, type);
        }
        _pending.Clear();
    }
}
