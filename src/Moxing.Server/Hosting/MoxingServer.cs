using System.Net;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Moxing.Server.Classify;
using Moxing.Server.Data;
using Moxing.Server.Http;
using Moxing.Server.OpenInference;
using Moxing.Server.Metering;
using Moxing.Server.Models;
using Moxing.Server.Observability;
using Moxing.Server.Ollama;
using Moxing.Server.OpenAi;
using Moxing.Server.OpenAi.Responses;
using Moxing.Server.Rerank;
using Moxing.Server.Tenants;

namespace Moxing.Server.Hosting;

/// <summary>The HTTP server: OpenAI- and Ollama-compatible endpoints over a <see cref="ModelManager"/>, on Kestrel.</summary>
public sealed class MoxingServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly IDisposable? _otlpExport;
    private int _stopped;

    private MoxingServer(WebApplication app, ModelManager models, ServerMetrics metrics, IDisposable? otlpExport)
    {
        _app = app;
        Models = models;
        Metrics = metrics;
        _otlpExport = otlpExport;
    }

    /// <summary>The models it serves.</summary>
    public ModelManager Models { get; }

    /// <summary>Its metrics (served at /metrics, and as OpenTelemetry instruments on <see cref="ServerMetrics.Meter"/>).</summary>
    public ServerMetrics Metrics { get; }

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
        ConfigureLogging(builder, options);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownGrace);
        if (options.CorsOrigins.Count > 0) builder.Services.AddCors();
        var certificate = KestrelSetup.LoadCertificate(options);
        builder.WebHost.UseKestrel(k => KestrelSetup.Configure(k, options, certificate));
        var app = builder.Build();
        // The gauges read the resident models whenever metrics are collected; the manager reports its steps to the metrics.
        ModelManager? manager = null;
        var metrics = new ServerMetrics(() => manager?.Resident() ?? []);
        var models = new ModelManager(catalog ?? CatalogFor(options), options.Manager, engines,
            app.Services.GetRequiredService<ILogger<ModelManager>>(), stepObservers: metrics.StepObserver);
        manager = models;
        var database = options.Database is { } url ? MoxingDatabase.Open(DatabaseAddress.Parse(url))
            : options.Home is { } home ? MoxingDatabase.OpenIn(home) : null;
        var keys = database is null ? null : new ApiKeyStore(database);
        var usage = database is null ? null : new UsageStore(database);
        var auth = keys is null ? null : new KeyAuthentication(keys, options.RequireAuth);
        var open = auth is not { Enforced: true };
        if (open)
            app.Logger.LogWarning("OPEN MODE: no API key exists, so every request is served without authentication ({Host}). "
                + "Create a key with `moxing keys create --tenant NAME` to require keys.", options.Host);
        if (open && !IsLoopback(options.Host))
            app.Logger.LogWarning("OPEN MODE on a non-loopback address: anyone who can reach {Host}:{Port} can use every model", options.Host, options.Port);
        var observer = new RequestObserver(metrics, app.Services.GetRequiredService<ILogger<RequestObserver>>(), options.RequestTimeout);
        app.Use(observer.HandleAsync);
        if (options.CorsOrigins.Count > 0)
            app.UseCors(p => p.WithOrigins([.. options.CorsOrigins]).AllowAnyHeader().AllowAnyMethod()
                .WithExposedHeaders(RequestId.Header, "Retry-After"));
        app.Use(ApiError.Handle);
        var metering = usage is null ? null : new UsageMetering(usage, new TenantLimiter(usage));
        if (metering != null) app.Use(metering.MeterRefusalsAsync);
        if (auth != null) app.Use(auth.HandleAsync);
        if (metering != null) app.Use(metering.HandleAsync);
        if (database is not null && keys is not null && usage is not null) new AdminEndpoints(keys, new TenantStore(database), usage, options.AdminKey).Map(app);
        Map(app, models, metrics);
        MapStore(app, models, options);
        var otlpExport = OtlpExport.Start(options.OtlpEndpoint, Environment.GetEnvironmentVariables());
        try
        {
            await app.StartAsync(cancellation);
        }
        catch
        {
            otlpExport?.Dispose();
            metrics.Dispose();
            await models.DisposeAsync();
            await app.DisposeAsync();
            throw;
        }
        return new MoxingServer(app, models, metrics, otlpExport);
    }

    private static void ConfigureLogging(WebApplicationBuilder builder, ServerOptions options)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (!options.ConsoleLogging) return;
        if (options.LogFormat == LogFormat.Json) builder.Logging.AddProvider(new JsonLinesLoggerProvider(options.LogWriter ?? Console.Out));
        else builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.IncludeScopes = true;
        });
    }

    /// <summary>The catalog of the paths in <paramref name="options"/>; with none, the model the repository ships.</summary>
    public static IModelCatalog CatalogFor(ServerOptions options)
    {
        var paths = options.Models;
        if (paths.Count == 0 && options.ModelsDirectory is null && options.UseShippedModel && ShippedModel.Find() is { } shipped) paths = [shipped];
        return new PathModelCatalog(paths, options.ModelsDirectory, options.Projector);
    }

    private static bool IsLoopback(string host) => host == "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));

    private static void Map(WebApplication app, ModelManager models, ServerMetrics metrics)
    {
        app.MapGet("/", (HttpContext c) => c.Response.WriteAsync("Moxing is running"));
        app.MapGet("/metrics", (HttpContext c) =>
        {
            var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            metrics.Write(text);
            c.Response.ContentType = PrometheusTextWriter.ContentType;
            return c.Response.WriteAsync(text.ToString(), c.RequestAborted);
        });
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
        app.MapPost("/v1/responses", new ResponsesEndpoint(models).HandleAsync);
        app.MapPost("/v1/embeddings", embeddings.HandleAsync);
        var rerank = new RerankEndpoint(models);
        app.MapPost("/v1/rerank", rerank.HandleAsync);
        app.MapPost("/rerank", rerank.HandleAsync);
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

        var classifiers = new ClassifierModels(models.Catalog);
        app.MapPost("/v1/classify", new ClassifyEndpoint(classifiers, models).HandleAsync);
        new OpenInferenceEndpoints(classifiers).Map(app);
    }

    // Ollama's store changes: pull, copy, create (with uploads) and delete.
    private static void MapStore(WebApplication app, ModelManager models, ServerOptions options)
    {
        var store = new OllamaStoreEndpoint(models, options.HubEndpoint, options.OllamaRegistry);
        app.MapPost("/api/pull", store.PullAsync);
        app.MapDelete("/api/delete", store.DeleteAsync);
        app.MapPost("/api/copy", store.CopyAsync);
        var create = new OllamaCreateEndpoint(models);
        app.MapPost("/api/create", create.CreateAsync);
        app.MapMethods("/api/blobs/{digest}", ["HEAD"], create.ExistsAsync);
        app.MapPost("/api/blobs/{digest}", create.UploadAsync);
    }

    /// <summary>Runs until <paramref name="cancellation"/> fires (Ctrl+C), SIGTERM arrives or the host is told to stop; the caller then stops it.</summary>
    public async Task RunUntilAsync(CancellationToken cancellation)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellation, _app.Lifetime.ApplicationStopping);
        // SIGTERM (docker stop, systemd, Kubernetes) shuts down as gracefully as Ctrl+C instead of ending the process at once.
        using var sigterm = OperatingSystem.IsWindows() ? null : PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            stopping.Cancel();
        });
        try
        {
            await Task.Delay(Timeout.Infinite, stopping.Token);
        }
        catch (OperationCanceledException)
        {
            // Shut down below.
        }
        _app.Logger.LogInformation("shutting down: no new connections; running requests have {Grace} s to finish",
            _app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostOptions>>().Value.ShutdownTimeout.TotalSeconds);
    }

    /// <summary>
    /// Stops gracefully: stops accepting connections, lets running requests finish within the shutdown grace, then cancels
    /// what is left, unloads the models and flushes exported spans and metrics.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try
        {
            await _app.StopAsync();
        }
        finally
        {
            // Models first: the spans of requests cancelled by the shutdown end there, before the last export.
            await Models.DisposeAsync();
            _otlpExport?.Dispose();
            Metrics.Dispose();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
