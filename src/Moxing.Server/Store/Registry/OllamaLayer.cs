namespace Moxing.Server.Store.Registry;

/// <summary>One layer of an Ollama model's manifest: what it holds (its media type), its sha256 digest and size.</summary>
/// <param name="MediaType">e.g. application/vnd.ollama.image.model.</param>
/// <param name="Digest">"sha256:" and 64 hex digits.</param>
/// <param name="Size">Bytes.</param>
public sealed record OllamaLayer(string MediaType, string Digest, long Size)
{
    private const string Image = "application/vnd.ollama.image.";

    /// <summary>The GGUF weights.</summary>
    public const string ModelType = Image + "model";

    /// <summary>The Go chat template (not run: the GGUF's own template is used).</summary>
    public const string TemplateType = Image + "template";

    /// <summary>Default options as a JSON object (stop, temperature, num_ctx, …).</summary>
    public const string ParamsType = Image + "params";

    /// <summary>The default system prompt.</summary>
    public const string SystemType = Image + "system";

    /// <summary>A license text.</summary>
    public const string LicenseType = Image + "license";

    /// <summary>A vision projector (llama.cpp mmproj GGUF), stored beside the model.</summary>
    public const string ProjectorType = Image + "projector";

    /// <summary>A LoRA adapter (not supported).</summary>
    public const string AdapterType = Image + "adapter";

    /// <summary>The part after application/vnd.ollama.image. (model, params, …), or the whole media type of another kind.</summary>
    public string Kind => MediaType.StartsWith(Image, StringComparison.Ordinal) ? MediaType[Image.Length..] : MediaType;
}
