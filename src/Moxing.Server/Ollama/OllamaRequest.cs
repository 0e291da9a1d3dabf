using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;

namespace Moxing.Server.Ollama;

/// <summary>Reads an Ollama request body.</summary>
public static class OllamaRequest
{
    /// <summary>
    /// The body as a <see cref="JsonRequest"/>; OllamaSharp's <c>CustomHeaders</c> (its own HTTP headers, serialized into the body
    /// by mistake and ignored by Ollama) is read as meaningless for the server.
    /// </summary>
    public static async Task<JsonRequest> ReadAsync(HttpContext context)
    {
        var r = await JsonRequest.ReadAsync(context.Request, context.RequestAborted);
        r.Node("CustomHeaders");
        return r;
    }
}
