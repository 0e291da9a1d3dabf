using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;

namespace Moxing.Server.Tenants;

/// <summary>
/// Middleware: once any key exists (or auth is required), every endpoint but /health needs a valid key
/// (<c>Authorization: Bearer</c>, as OpenAI and Ollama clients send it): 401 when missing, invalid, revoked or expired;
/// 403 when the key or its tenant may not use the model the request names.
/// </summary>
public sealed class KeyAuthentication(ApiKeyStore keys, bool requireAuth)
{
    private const int MaxPeekBytes = 1 << 20;

    // Keys are revoked, never deleted, so once one exists enforcement stays on without asking the database again.
    private bool _enforced = requireAuth;

    private static readonly object RefusedKey = new();

    /// <summary>The key of an authenticated request (null in open mode).</summary>
    public static ApiKeyRecord? KeyOf(HttpContext context) => context.Items[typeof(ApiKeyRecord)] as ApiKeyRecord;

    /// <summary>The known key a refused request presented (revoked, expired, or not allowed the model); null when none was known.</summary>
    public static ApiKeyRecord? RefusedKeyOf(HttpContext context) => context.Items[RefusedKey] as ApiKeyRecord;

    /// <summary>True when the request may use <paramref name="model"/>: open mode, or its key and the key's tenant both allow it.</summary>
    public static bool MayUse(HttpContext context, string model) => KeyOf(context)?.RefusingModel(model) == null;

    /// <summary>True when requests must carry a key.</summary>
    public bool Enforced => _enforced || (_enforced = keys.Any());

    /// <summary>Checks the request, then runs the rest of the pipeline.</summary>
    public async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        // The admin API checks its own (admin) credentials, which may be MOXING_ADMIN_KEY rather than a stored key.
        if (context.Request.Path.Equals("/health") || context.Request.Path.StartsWithSegments("/admin") || !Enforced)
        {
            await next(context);
            return;
        }
        var (check, key) = keys.Check(Bearer(context.Request));
        if (check != KeyCheck.Valid)
        {
            context.Items[RefusedKey] = key;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            throw new ApiException(401, check switch
            {
                KeyCheck.Missing => "an API key is required: send Authorization: Bearer <key>",
                KeyCheck.Revoked => $"the API key {key!.Id} has been revoked",
                KeyCheck.Expired => $"the API key {key!.Id} expired at {key.Expires:O}",
                _ => "the API key is not valid",
            }, "authentication_error", code: check == KeyCheck.Missing ? "missing_api_key" : "invalid_api_key");
        }
        context.Items[typeof(ApiKeyRecord)] = key;
        // Only the models both the key and its tenant allow may be used; the 403 names whose list refused.
        if (key!.Owners.Any(o => o.Limits.Models != null) && await RequestedModelAsync(context.Request) is { } model && key.RefusingModel(model) is { } owner)
        {
            context.Items[RefusedKey] = key;
            throw new ApiException(403, $"{owner.Who} may not use model '{model}'", "permission_error", param: "model", code: "model_not_allowed");
        }
        await next(context);
    }

    private static string? Bearer(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    // The model is named in the JSON body (OpenAI, Ollama) or the path (/v1/models/{id}); the body is buffered for the endpoint.
    private static async Task<string?> RequestedModelAsync(HttpRequest request)
    {
        if (request.Path.StartsWithSegments("/v1/models", out var rest) && rest.HasValue && rest.Value!.Length > 1) return rest.Value[1..];
        if (!HttpMethods.IsPost(request.Method) || request.ContentLength is > MaxPeekBytes) return null;
        request.EnableBuffering(MaxPeekBytes);
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("model", out var m)
                && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        }
        catch (JsonException)
        {
            return null; // the endpoint reports the malformed body
        }
        finally
        {
            request.Body.Position = 0;
        }
    }
}
