using Moxing.Core.Formats.Images;
using Moxing.Models.Decoder;
using Moxing.Models.Vision;
using Moxing.Server.Http;
using Moxing.Server.Models;

namespace Moxing.Server.Generation;

/// <summary>
/// The images of one request as its messages are read (OpenAI data: URLs, Ollama base64), each leaving <see cref="ImagePrompt.Marker"/>
/// where it goes; after the prompt is tokenized, their embedded spans. Remote http(s) URLs are refused: the server fetches nothing a
/// client names (no server-side request forgery).
/// </summary>
public sealed class PromptImages
{
    private readonly List<PromptImage> _images = [];

    /// <summary>Images read so far.</summary>
    public int Count => _images.Count;

    /// <summary>The spans <see cref="Encode"/> made (empty before it, or without images).</summary>
    public IReadOnlyList<EmbeddedSpan> Spans { get; private set; } = [];

    /// <summary>Reads an OpenAI image_url (a data: URL with base64 PNG or JPEG); returns the marker standing for it.</summary>
    public string AddUrl(string url, string param)
    {
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadParameter(param, $"'{param}' is a remote URL; this server does not fetch images: send it inline as a data: URL (data:image/png;base64,…)");
        var comma = url.IndexOf(',');
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) || comma < 0 || !url.AsSpan(0, comma).EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadParameter(param, $"'{param}' must be a data: URL with base64 image bytes (data:image/png;base64,…)");
        return AddBase64(url[(comma + 1)..], param);
    }

    /// <summary>Reads base64 PNG or JPEG bytes (Ollama's images); returns the marker standing for it.</summary>
    public string AddBase64(string base64, string param)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw ApiException.BadParameter(param, $"'{param}' is not valid base64");
        }
        try
        {
            _images.Add(PromptImage.Decode(bytes));
        }
        catch (InvalidImageException e)
        {
            throw ApiException.BadParameter(param, $"'{param}': {e.Message}");
        }
        return ImagePrompt.Marker;
    }

    /// <summary>
    /// The token ids of the rendered prompt <paramref name="text"/> with its images' text and runs in place (their spans in <see cref="Spans"/>);
    /// a plain tokenization without images, a 400 when there are images and the model has no vision tower.
    /// </summary>
    public int[] Encode(ResidentModel model, string text, bool addSpecialTokens, string param)
    {
        var tokenizer = model.Model.RequireTokenizer();
        if (_images.Count == 0) return tokenizer.Encode(text, addSpecialTokens);
        var vision = model.Model.Vision ?? throw new ApiException(400,
            $"the model '{model.Name}' has no vision tower, so it takes no images; import it with its projector (moxing import MODEL --mmproj FILE)",
            param: param, code: "model_without_vision");
        var encoded = ImagePrompt.Encode(text, _images, vision, tokenizer, addSpecialTokens);
        Spans = encoded.Spans;
        return encoded.Ids;
    }
}
