using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Moxing.Server.Http;
using Moxing.Server.Models;
using Moxing.Server.Tenants;

namespace Moxing.Server.OpenAi;

/// <summary><c>GET /v1/models</c> and <c>GET /v1/models/{id}</c>: the models this server can serve to the caller (its key's and tenant's allowed models).</summary>
public sealed class ModelsEndpoint(ModelManager models)
{
    /// <summary>Lists every model the caller may use.</summary>
    public Task ListAsync(HttpContext context) => JsonStreamWriter.WriteObjectAsync(context, w =>
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        foreach (var entry in models.Catalog.List())
            if (KeyAuthentication.MayUse(context, entry.Name)) WriteModel(w, entry);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    /// <summary>One model, or a 404.</summary>
    public Task GetAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["id"]!;
        var entry = models.Catalog.Find(name) ?? throw ApiException.ModelNotFound(name);
        return JsonStreamWriter.WriteObjectAsync(context, w => WriteModel(w, entry));
    }

    private static void WriteModel(Utf8JsonWriter w, CatalogEntry entry)
    {
        w.WriteStartObject();
        w.WriteString("id", entry.Name);
        w.WriteString("object", "model");
        w.WriteNumber("created", entry.ModifiedAt.ToUnixTimeSeconds());
        w.WriteString("owned_by", "moxing");
        w.WriteEndObject();
    }
}
