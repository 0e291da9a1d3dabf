using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Moxing.Server.Data;
using Moxing.Server.Http;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Server.Ollama;
using Moxing.Server.OpenAi;
using Moxing.Server.Tenants;

namespace Moxing.Server.Hosting;

/// <summary>The HTTP server: OpenAI- and Ollama-compatible endpoints over a <see cref="ModelManager"/>, on Kestrel.</summary>
public sealed class MoxingServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MoxingServer(WebApplication app, ModelManager models)
    {
        _app = app;
        Models = models;
    }

    /// <summary>The models it serves.</summary>
    public ModelManager Models { get; }

    /// <summary>The address it listens on (with the real port when port 0 was asked for).</summary>
    public Uri Address => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>
    /// Starts listening. <paramref name="engines"/> builds each decoder's engine; <paramref name="catalog"/> resolves names (null: the
    /// paths in <paramref name="options"/>, or the shipped model when none is given).
    /// </summary>
    public static async Task<MoxingServer> StartAsync(ServerOptions options, EngineFactory engines, IModelCatalog? catalog = null,
        CancellationToken cancellation = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (options.ConsoleLogging) builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.UseKestrel(k =>
        {
            if (options.Host == "localhost") k.ListenLocalhost(options.Port);
            else if (IPAddress.TryParse(options.Host, out var ip)) k.Listen(ip, options.Port);
            else throw new Core.MoxingException($"host '{options.Host}' must be an IP address or localhost");
        });
        var app = builder.Build();
        var models = new ModelManager(catalog ?? CatalogFor(options), options.Manager, engines,
            app.Services.GetRequiredService<ILogger<ModelManager>>());
        var db = options.Home is { } home ? MoxingDatabase.OpenIn(home) : null;
        var keys = db is null ? null : new ApiKeyStore(db);
        var usage = db is null ? null : new UsageStore(db);
        var auth = keys is null ? null : new KeyAuthentication(keys, options.RequireAuth);
        var open = auth is not { Enforced: true };
        if (open)
            app.Logger.LogWarning("OPEN MODE: no API key exists, so every request is served without authentication ({Host}). "
                + "Create a key with `moxing keys create --tenant NAME` to require keys.", options.Host);
        if (open && !IsLoopback(options.Host))
            app.Logger.LogWarning("OPEN MODE on a non-loopback address: anyone who can reach {Host}:{Port} can use every model", options.Host, options.Port);
        app.Use(ApiError.Handle);
        if (auth != null) app.Use(auth.HandleAsync);
        if (keys is not null && usage is not null)
        {
            app.Use(new UsageMetering(usage, new TenantLimiter(usage)).HandleAsync);
            new AdminEndpoints(keys, usage, options.AdminKey).Map(app);
        }
        MapEndpoints(app, models);
        try
        {
            await app.StartAsync(cancellation);
        }
        catch
        {
            await models.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }
        return new MoxingServer(app, models);
    }

    /// <summary>The catalog of the paths in <paramref name="options"/>; with none, the model the repository ships.</summary>
    public static IModelCatalog CatalogFor(ServerOptions options)
    {
        var paths = options.Models;
        if (paths.Count == 0 && options.ModelsDirectory is null && options.UseShippedModel && ShippedModel.Find() is { } shipped) paths = [shipped];
        return new PathModelCatalog(paths, options.ModelsDirectory);
    }

    private static bool IsLoopback(string host) => host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    private static void MapEndpoints(WebApplication app, ModelManager models)
    {
        app.MapGet("/", (HttpContext c) => c.Response.WriteAsync("Moxing is running"));
        app.MapGet("/health", (HttpContext c) => JsonStreamWriter.WriteObjectAsync(c, w =>
        {
            w.WriteStartObject();
            w.WriteString("status", "ok");
            w.WriteEndObject();
        }));
        app.MapGet("/ready", (HttpContext c) =>
        {
            var count = models.Catalog.List().Count;
            return JsonStreamWriter.WriteObjectAsync(c, w =>
            {
                w.WriteStartObject();
                w.WriteString("status", count > 0 ? "ready" : "no models");
                w.WriteNumber("models", count);
                w.WriteNumber("loaded", models.Resident().Count);
                w.WriteEndObject();
            }, count > 0 ? 200 : 503);
        });

        var chat = new ChatCompletionsEndpoint(models);
        var completions = new CompletionsEndpoint(models);
        var embeddings = new EmbeddingsEndpoint(models);
        var list = new ModelsEndpoint(models);
        app.MapPost("/v1/chat/completions", chat.HandleAsync);
        app.MapPost("/v1/completions", completions.HandleAsync);
        app.MapPost("/v1/embeddings", embeddings.HandleAsync);
        app.MapGet("/v1/models", list.ListAsync);
        app.MapGet("/v1/models/{**id}", list.GetAsync);

        var ollamaChat = new OllamaChatEndpoint(models);
        var ollamaEmbed = new OllamaEmbedEndpoint(models);
        var ollamaModels = new OllamaModelsEndpoint(models);
        app.MapPost("/api/chat", ollamaChat.ChatAsync);
        app.MapPost("/api/generate", ollamaChat.GenerateAsync);
        app.MapPost("/api/embed", ollamaEmbed.EmbedAsync);
        app.MapPost("/api/embeddings", ollamaEmbed.EmbeddingsAsync);
        app.MapGet("/api/tags", ollamaModels.TagsAsync);
        app.MapGet("/api/ps", ollamaModels.PsAsync);
        app.MapPost("/api/show", ollamaModels.ShowAsync);
        app.MapGet("/api/version", OllamaModelsEndpoint.VersionAsync);
    }

    /// <summary>Runs until <paramref name="cancellation"/> fires, then stops.</summary>
    public async Task RunUntilAsync(CancellationToken cancellation)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: shut down below.
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await Models.DisposeAsync();
        await _app.DisposeAsync();
    }
}
