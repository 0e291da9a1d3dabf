using System.Text;
using System.Text.Json;
using Moxing.Inference.Scheduling;
using Moxing.Text.Tokenization;

namespace Moxing.Server.OpenAi;

/// <summary>Writes tokens with their log-probabilities in OpenAI's chat shape (<c>{token, logprob, bytes, top_logprobs}</c>).</summary>
public static class LogprobsWriter
{
    /// <summary>Writes <c>"logprobs": {"content": [...]}</c>, or null when logprobs were not asked for.</summary>
    public static void WriteChat(Utf8JsonWriter w, Tokenizer tokenizer, IReadOnlyList<GeneratedToken>? tokens)
    {
        if (tokens is null)
        {
            w.WriteNull("logprobs");
            return;
        }
        w.WriteStartObject("logprobs");
        w.WriteStartArray("content");
        foreach (var t in tokens)
        {
            w.WriteStartObject();
            WriteToken(w, tokenizer, t.Id, t.Logprob);
            w.WriteStartArray("top_logprobs");
            foreach (var alt in t.TopLogprobs ?? [])
            {
                w.WriteStartObject();
                WriteToken(w, tokenizer, alt.Id, alt.Logprob);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNull("refusal");
        w.WriteEndObject();
    }

    /// <summary>Writes the legacy completions shape: tokens, token_logprobs, top_logprobs (token → logprob maps), text_offset.</summary>
    public static void WriteLegacy(Utf8JsonWriter w, Tokenizer tokenizer, IReadOnlyList<GeneratedToken>? tokens, int textOffset)
    {
        if (tokens is null)
        {
            w.WriteNull("logprobs");
            return;
        }
        w.WriteStartObject("logprobs");
        w.WriteStartArray("tokens");
        foreach (var t in tokens) w.WriteStringValue(TokenText(tokenizer, t.Id));
        w.WriteEndArray();
        // an echoed prompt's first token has no log-probability: null, as OpenAI writes it
        w.WriteStartArray("token_logprobs");
        foreach (var t in tokens)
            if (Unscored(t)) w.WriteNullValue();
            else w.WriteNumberValue(Reported(t.Logprob));
        w.WriteEndArray();
        w.WriteStartArray("top_logprobs");
        var keys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in tokens)
        {
            if (Unscored(t))
            {
                w.WriteNullValue();
                continue;
            }
            // a map from token text: alternatives whose text is the same (pieces of one UTF-8 character decode alike) keep
            // the most likely, as JSON objects hold each key once
            w.WriteStartObject();
            keys.Clear();
            foreach (var alt in t.TopLogprobs ?? [])
                if (keys.Add(TokenText(tokenizer, alt.Id))) w.WriteNumber(TokenText(tokenizer, alt.Id), Reported(alt.Logprob));
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("text_offset");
        foreach (var t in tokens)
        {
            w.WriteNumberValue(textOffset);
            textOffset += TokenText(tokenizer, t.Id).Length;
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteToken(Utf8JsonWriter w, Tokenizer tokenizer, int id, float logprob)
    {
        var text = TokenText(tokenizer, id);
        w.WriteString("token", text);
        w.WriteNumber("logprob", Reported(logprob));
        w.WriteStartArray("bytes");
        foreach (var b in Encoding.UTF8.GetBytes(text)) w.WriteNumberValue(b);
        w.WriteEndArray();
    }

    private static bool Unscored(GeneratedToken t) => t.InPrompt && float.IsNaN(t.Logprob);

    // JSON has no infinities: a token the model gives no probability (a −∞ or NaN log-probability) reads -9999, as OpenAI reports it
    private static float Reported(float logprob) => float.IsFinite(logprob) ? logprob : -9999f;

    private static string TokenText(Tokenizer tokenizer, int id) => tokenizer.Decode([id], skipSpecialTokens: false);
}
