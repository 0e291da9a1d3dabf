using Moxing.Core.Kernels;
using Moxing.Server;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Server.Store;

namespace Moxing.Cli.Commands;

/// <summary>`moxing serve [MODEL...]`: an OpenAI- and Ollama-compatible model server.</summary>
public sealed class ServeCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "serve";

    /// <inheritdoc />
    public string Summary => "serve models over OpenAI- and Ollama-compatible HTTP APIs";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing serve [MODEL...] [options]
          MODEL, --model PATH    Hugging Face model folders or GGUF files, served under their folder/file name
                                 (--model takes several paths separated by ':'); none: the model the repository ships
          --models-dir DIR       serve every model folder and GGUF file directly inside DIR
          --mmproj FILE          the vision projector (llama.cpp's mmproj GGUF) of the one MODEL, so it takes images
          --host ADDR            address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
          --port N               port (default 8080; 0 picks a free one)
          --max-memory SIZE      memory all resident models may use, weights + KV cache (e.g. 8G; default 3/4 of RAM)
          --keep-alive DURATION  how long an idle model stays loaded (default 5m; -1 forever, 0 unload at once)
          --context N            context per sequence (default: the model's, at most 4096)
          --parallel N           sequences each model runs at once (default 4)
          --speculative-tokens N draft tokens per decoding sequence and step, looked up in its own prompt and reply (0-16;
                         default 0, off): same replies, fewer steps when replies repeat their prompt (code edits,
                         extraction); drafts use only batch rows other requests leave free
          --kv-type TYPE         KV cache storage: f16 (default), q8_0 (half the memory: twice the sequences in the same
                         budget) or f32
          --threads N            worker threads (default: one per physical core)
          --low-memory           for boards with 1–2 GB of RAM: context at most 2048, Q8_0 KV cache, one sequence at a time
                                 (unless --parallel), no prefix cache, prefill chunks of 16, at most 4 worker threads,
                                 weights only memory-mapped (docs/EDGE.md)
          --require-auth         require an API key even before any exists (keys: `moxing keys create`); once a key
                                 exists, keys are always required on every endpoint but /health
          --request-timeout DUR  deadline of one request, model loading included: 504, or an error event ending a
                                 stream (default none)
          --shutdown-grace DUR   on SIGTERM/Ctrl+C, time running requests get to finish before they are cancelled (30s)
          --max-body SIZE        largest request body (default 8M; larger: 413)
          --max-header SIZE      largest total size of a request's headers (default 32K; larger: 431)
          --tls-cert FILE        PEM certificate (chain) to serve HTTPS with; needs --tls-key FILE (PEM private key)
          --cors-origin ORIGIN   a browser origin allowed to call the API, e.g. https://app.example.com (repeatable;
                                 none by default)
          --log-format FORMAT    text (default) or json: one JSON object per line, each request with its request id
          --otlp URL             export OpenTelemetry traces and metrics to this OTLP collector (e.g. http://localhost:4318);
                                 default: OTEL_EXPORTER_OTLP_ENDPOINT if set
          --database URL         keys and usage in PostgreSQL (postgres://user:password@host:port/db) or another SQLite
                                 file (sqlite:PATH); default: moxing.db in $MOXING_HOME
          --config FILE          JSON file with any of the settings below
        Metrics (Prometheus) are at /metrics. Settings: host, port, models, models_dir, max_memory, keep_alive, context,
        parallel, kv_type, speculative_tokens, low_memory (true/false), database, request_timeout, shutdown_grace, max_body, max_header, tls_cert, tls_key, cors_origin (list), log_format,
        otlp; each also comes from MOXING_<SETTING> (e.g. MOXING_MAX_BODY; cors_origin comma-separated) and the config file
        comes from MOXING_CONFIG; MOXING_ADMIN_KEY is a secret that grants the admin API (/admin/keys, /admin/usage) besides
        admin keys (`moxing keys create --admin`). The command line wins over the environment, which wins over the config file. Without MODEL or --models-dir, the models of the store
        ($MOXING_HOME, `moxing import`/`pull`) are served, or the shipped model while the store is empty.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "require-auth", LowMemoryOption.Name };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var cli = new Dictionary<string, string>(StringComparer.Ordinal);
        var models = args.Positionals.ToList();
        if (args.Option("model", "m") is { } model) models.AddRange(model.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        if (models.Count > 0) cli["models"] = string.Join(Path.PathSeparator, models);
        foreach (var key in ServerSettings.Keys)
            if (key is not ("models" or "cors_origin" or "low_memory") && args.Option(key.Replace('_', '-')) is { } value) cli[key] = value;
        if (args.Flag(LowMemoryOption.Name)) cli["low_memory"] = "true";
        if (args.Repeated("cors-origin") is { Count: > 0 } origins) cli["cors_origin"] = string.Join(',', origins);
        var config = args.Option("config");
        var threads = args.Int(0, "threads");
        var requireAuth = args.Flag("require-auth");
        args.RejectUnknown();
        if (threads < 0) throw new UsageException("--threads must be positive");
        var options = ServerSettings.Resolve(config, Environment.GetEnvironmentVariables(), cli) with
        {
            Home = MoxingHome.Resolve(),
            RequireAuth = requireAuth,
            AdminKey = Environment.GetEnvironmentVariable("MOXING_ADMIN_KEY"),
        };
        LowMemoryOption.ConfigurePool(options.Manager.LowMemory, threads);
        return Serve(options, context).GetAwaiter().GetResult();
    }

    private static async Task<int> Serve(ServerOptions options, CommandContext context)
    {
        IModelCatalog? catalog = null;
        if (options.Models.Count == 0 && options.ModelsDirectory == null)
        {
            var store = ModelStore.Open(options.Home);
            // First start: the model the repository ships is registered in the empty store (hard links), so the store's
            // endpoints (pull, create, copy, delete) work at once beside it.
            var empty = store.List().Count == 0;
            if (empty && options.UseShippedModel && ShippedModel.Find() is { } shipped)
            {
                store.Import(shipped, Path.GetFileName(shipped), copy: false, context.Cancellation);
                empty = false;
            }
            if (!empty) catalog = new StoreModelCatalog(store);
        }
        await using var server = await MoxingServer.StartAsync(options, Engines.ContinuousBatching, catalog, context.Cancellation);
        var names = server.Models.Catalog.List().Select(e => e.Name).ToList();
        context.Out.WriteLine($"moxing serving {(names.Count == 0 ? "no models" : string.Join(", ", names))} on {server.Address}");
        context.Out.WriteLine($"  OpenAI: {server.Address}v1/chat/completions   Ollama: {server.Address}api/chat   (Ctrl+C stops)");
        await server.RunUntilAsync(context.Cancellation);
        return 0;
    }
}
