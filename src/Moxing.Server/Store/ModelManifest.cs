using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Moxing.Core;
using Moxing.Models;

namespace Moxing.Server.Store;

/// <summary>What the store records for one <c>name:tag</c>: format, files with digests and sizes, where it came from, when, and its details.</summary>
public sealed record ModelManifest
{
    /// <summary>Version of this layout; a store refuses manifests newer than it understands.</summary>
    public const int CurrentSchema = 1;

    /// <summary>Layout version the manifest was written with.</summary>
    public int Schema { get; init; } = CurrentSchema;

    /// <summary>The model name (without tag).</summary>
    public required string Name { get; init; }

    /// <summary>The tag.</summary>
    public required string Tag { get; init; }

    /// <summary>GGUF file or Hugging Face folder.</summary>
    public required ModelFormat Format { get; init; }

    /// <summary>The files of the model; for GGUF exactly one.</summary>
    public required IReadOnlyList<ManifestFile> Files { get; init; }

    /// <summary>Where it came from: the imported path, or hf:ORG/REPO@COMMIT plus the endpoint.</summary>
    public required string Source { get; init; }

    /// <summary>When it was registered (UTC).</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>Architecture, parameters, context, quantization, kind.</summary>
    public required ModelDetails Details { get; init; }

    /// <summary>The model's own generation defaults (an Ollama model's params and system prompt); null: none.</summary>
    public ModelDefaults? Defaults { get; init; }

    /// <summary>The vision projector (an mmproj GGUF beside a GGUF model), as the path of one of <see cref="Files"/>; null: none.</summary>
    public string? Projector { get; init; }

    /// <summary>The model's license text, when its source gave one.</summary>
    public string? License { get; init; }

    /// <summary>The name and tag.</summary>
    [JsonIgnore]
    public ModelName ModelName => ModelName.Parse($"{Name}:{Tag}");

    /// <summary>Total size of the files in bytes.</summary>
    [JsonIgnore]
    public long Size => Files.Sum(f => f.Size);

    /// <summary>Digest of the file list (paths, digests, sizes): equal for two tags of the same content; names the model's snapshot folder.</summary>
    [JsonIgnore]
    public string ContentId
    {
        get
        {
            var b = new StringBuilder();
            foreach (var f in Files.OrderBy(f => f.Path, StringComparer.Ordinal))
                b.Append(f.Path).Append('\t').Append(f.Digest).Append('\t').Append(f.Size).Append('\n');
            return ContentDigest.Of(Encoding.UTF8.GetBytes(b.ToString()));
        }
    }

    /// <summary>The file a loader opens: the GGUF file, or (for a folder) null.</summary>
    [JsonIgnore]
    public ManifestFile? GgufFile => Format == ModelFormat.Gguf ? Files[0] : null;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters =
        {
            new JsonStringEnumConverter<ModelFormat>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false),
            new JsonStringEnumConverter<ModelKind>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false),
        },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
        TypeInfoResolver = StoreJsonContext.Default,
    };

    // Source-generated metadata under these options: no reflection, so it works in the NativeAOT build.
    private static JsonTypeInfo<ModelManifest> JsonInfo => (JsonTypeInfo<ModelManifest>)Json.GetTypeInfo(typeof(ModelManifest));

    /// <summary>The manifest as UTF-8 JSON.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonInfo);

    /// <summary>Reads and checks a manifest file; a damaged one is an <see cref="InvalidModelFileException"/> naming the problem.</summary>
    public static ModelManifest Load(string path)
    {
        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(File.ReadAllBytes(path), JsonInfo);
        }
        catch (JsonException e)
        {
            throw new InvalidModelFileException(path, $"not a valid store manifest: {e.Message}", e);
        }
        if (manifest == null) throw new InvalidModelFileException(path, "not a valid store manifest: null");
        if (manifest.Check() is { } problem) throw new InvalidModelFileException(path, problem);
        return manifest;
    }

    /// <summary>What is inconsistent in the manifest, or null when it is sound.</summary>
    public string? Check()
    {
        if (Schema > CurrentSchema) return $"schema {Schema} is newer than this moxing understands ({CurrentSchema}); upgrade moxing";
        if (!ModelName.TryParse($"{Name}:{Tag}", out var parsed) || parsed.Name != Name || parsed.Tag != Tag)
            return $"name '{Name}:{Tag}' is not a valid lower-case model name";
        if (Files == null || Files.Count == 0) return "it lists no files";
        // a GGUF model's file comes first, its vision projector (when it has one) after it
        var expected = Projector == null ? 1 : 2;
        if (Format == ModelFormat.Gguf && Files.Count != expected)
            return $"a GGUF model {(Projector == null ? "without" : "with")} a projector must have exactly {expected} file{(expected == 1 ? "" : "s")}, it lists {Files.Count}";
        if (Projector != null && !Files.Skip(1).Any(f => f?.Path == Projector)) return $"its projector '{Projector}' is not one of its files after the model's";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in Files)
        {
            if (f == null) return "it has a null file entry";
            if (ModelFilePath.Problem(f.Path) is { } pathProblem) return pathProblem;
            if (!seen.Add(f.Path)) return $"it lists '{f.Path}' twice";
            if (!ContentDigest.IsValid(f.Digest)) return $"file '{f.Path}' has digest '{f.Digest}', expected sha256: and 64 hex digits";
            if (f.Size < 0) return $"file '{f.Path}' has a negative size";
        }
        if (Details?.Architecture == null || Details.Quantization == null) return "it has no details (architecture, quantization)";
        return Source == null ? "it has no source" : null;
    }
}
