using System.Globalization;
using Moxing.Models;
using Moxing.Server.Store;

namespace Moxing.Cli.Store;

/// <summary>How store entries read in a terminal: short id, format word, age.</summary>
public static class StoreTable
{
    /// <summary>The first 12 hex digits of the content digest (as Ollama shows ids).</summary>
    public static string ShortId(StoreEntry entry) => ContentDigest.Hex(entry.Digest)[..12];

    /// <summary>What a store command reports about the entry it made: format, architecture and quantization, size, short id.</summary>
    public static string Summary(StoreEntry entry) =>
        $"{Format(entry)}, {entry.Details.Architecture} {entry.Details.Quantization}, {HumanUnits.Bytes(entry.Size)}, {ShortId(entry)}";

    /// <summary>"gguf" or "safetensors".</summary>
    public static string Format(StoreEntry entry) => entry.Format == ModelFormat.Gguf ? "gguf" : "safetensors";

    /// <summary>How long ago, in the largest whole unit (3 minutes ago, 2 days ago).</summary>
    public static string Age(DateTimeOffset then, DateTimeOffset now)
    {
        var span = now - then;
        return span.TotalSeconds < 60 ? "just now"
            : span.TotalDays < 30 ? HumanUnits.Duration(span) + " ago"
            : then.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}
