using System.Security.Cryptography;
using Moxing.Core;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Quantization.Mixes;
using Moxing.Models;
using Moxing.Models.Conversion;

namespace Moxing.Server.Store;

/// <summary>Creating models from other models (Ollama's <c>/api/create</c>): uploaded files, and quantized copies of stored models.</summary>
public sealed partial class ModelStore
{
    private const string UploadPrefix = "upload-";

    /// <summary>True when the store holds content with <paramref name="digest"/>: an uploaded file or a registered model's blob.</summary>
    public bool HasContent(string digest) => ContentPath(digest) != null;

    /// <summary>
    /// Stores <paramref name="content"/> as an upload for <see cref="CreateFromFiles"/>, streamed to disk while hashed; refused, and
    /// nothing kept, when its sha256 is not <paramref name="digest"/>. Uploads no model is created from are removed after a day.
    /// </summary>
    public async Task AddUploadAsync(string digest, Stream content, CancellationToken cancellation)
    {
        if (!ContentDigest.IsValid(digest)) throw new MoxingException($"'{digest}' is not a digest: expected sha256: and 64 lower-case hex digits");
        if (HasContent(digest)) return;
        var temp = Path.Combine(TempFolder, "blob-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 20];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellation)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellation);
                }
                await file.FlushAsync(cancellation);
                file.Flush(flushToDisk: true);
            }
            var actual = ContentDigest.FromHash(hash.GetHashAndReset());
            if (actual != digest) throw new MoxingException($"the uploaded content's digest is {actual}, not {digest}: nothing was stored");
            File.Move(temp, UploadPath(digest), overwrite: true);
        }
        finally
        {
            TryDelete(() => File.Delete(temp));
        }
    }

    /// <summary>
    /// Registers a model made of stored content (uploads or blobs): <paramref name="files"/> maps each file's path in the model to its
    /// digest — one .gguf file, or the files of a Hugging Face folder (config.json, tokenizer, safetensors). Checked to load first.
    /// </summary>
    public StoreEntry CreateFromFiles(IReadOnlyDictionary<string, string> files, string name, ModelDefaults? defaults = null, string? license = null,
        CancellationToken cancellation = default)
    {
        if (files.Count == 0) throw new MoxingException("no files given: name the model's files and their digests");
        var modelName = ModelName.Parse(name);
        var gguf = files.Count == 1 && files.Keys.Single().EndsWith(".gguf", StringComparison.OrdinalIgnoreCase);
        if (!gguf && !files.ContainsKey("config.json"))
            throw new MoxingException($"the files are neither one .gguf file nor a Hugging Face folder (no config.json among {string.Join(", ", files.Keys)})");
        using var staging = new ModelStaging(TempFolder, gguf ? ModelFormat.Gguf : ModelFormat.HuggingFace);
        foreach (var (path, digest) in files)
        {
            cancellation.ThrowIfCancellationRequested();
            if (ModelFilePath.Problem(path) is { } problem) throw new MoxingException(problem);
            var content = ContentPath(digest) ?? throw new MoxingException($"'{path}': no uploaded content with digest {digest}; upload it to /api/blobs/{digest} first");
            staging.Add(path, content, digest, link: true);
        }
        var source = "created from " + string.Join(", ", files.Keys);
        var entry = Commit(staging, modelName, source, Check(staging, source), cancellation, defaults, license);
        foreach (var digest in files.Values) TryDelete(() => File.Delete(UploadPath(digest)));
        return entry;
    }

    /// <summary>
    /// Registers <paramref name="source"/> quantized to <paramref name="mix"/> as <paramref name="destination"/> (as <c>moxing quantize</c>
    /// does), with the source's defaults under <paramref name="defaults"/>; <paramref name="progress"/> hears (tensor, tensors).
    /// </summary>
    public StoreEntry CreateQuantized(string source, string destination, QuantizationMix mix, ModelDefaults? defaults = null, string? license = null,
        Action<int, int>? progress = null, CancellationToken cancellation = default)
    {
        var from = Resolve(source);
        var name = ModelName.Parse(destination);
        if (from.Details.Kind is not (ModelKind.Generation or ModelKind.Embedding))
            throw new MoxingException($"'{from.Name}' is a {from.Details.Kind} model; only language and embedding models are quantized");
        var output = Path.Combine(TempFolder, "quantize-" + Guid.NewGuid().ToString("N") + ".gguf");
        try
        {
            using (var input = QuantizationSource.Open(from.ModelPath))
                GgufQuantizer.Quantize(input.Input, output, mix, null, WorkerPool.Shared, (i, n, _) => progress?.Invoke(i, n), cancellation);
            using var staging = new ModelStaging(TempFolder, ModelFormat.Gguf);
            staging.Add($"{name.Name.Replace('/', '-')}-{mix.Name}.gguf", output, link: true);
            var origin = $"{from.Name} quantized to {mix.Name}";
            var merged = defaults?.Over(from.Defaults) ?? from.Defaults;
            return Commit(staging, name, origin, Check(staging, origin), cancellation, merged, license ?? from.Manifest.License);
        }
        finally
        {
            TryDelete(() => File.Delete(output));
        }
    }

    private string UploadPath(string digest) => Path.Combine(TempFolder, UploadPrefix + ContentDigest.FileName(digest));

    // The upload or blob holding `digest`, or null.
    private string? ContentPath(string digest)
    {
        if (!ContentDigest.IsValid(digest)) return null;
        var upload = UploadPath(digest);
        if (File.Exists(upload)) return upload;
        var blob = BlobPath(digest);
        return File.Exists(blob) ? blob : null;
    }
}
