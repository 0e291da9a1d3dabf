using Moxing.Inference.Scheduling;
using Moxing.Models;

namespace Moxing.Server.Models;

/// <summary>A model in memory: its weights and tokenizer, its engine (decoders) and what it costs.</summary>
public sealed class ResidentModel
{
    internal ResidentModel(CatalogEntry entry, LoadedModel model, IGenerationEngine? engine, EngineSettings? settings, long memoryBytes,
        DateTimeOffset loadedAt, TimeSpan loadDuration)
    {
        Entry = entry;
        Model = model;
        Engine = engine;
        Settings = settings;
        MemoryBytes = memoryBytes;
        LoadedAt = loadedAt;
        LoadDuration = loadDuration;
        LastUsed = loadedAt;
    }

    /// <summary>The catalog entry it was loaded from.</summary>
    public CatalogEntry Entry { get; }

    /// <summary>The name clients use.</summary>
    public string Name => Entry.Name;

    /// <summary>Weights, tokenizer, chat templates.</summary>
    public LoadedModel Model { get; }

    /// <summary>The generation engine of a decoder; null for an encoder.</summary>
    public IGenerationEngine? Engine { get; }

    /// <summary>The engine's context, parallelism and KV budget; null for an encoder.</summary>
    public EngineSettings? Settings { get; }

    /// <summary>Tokens one sequence may hold, prompt and completion together: the engine's context, else the model's.</summary>
    public int Context => Settings?.Context ?? Model.MaxContext;

    /// <summary>Bytes it holds: weights plus KV budget.</summary>
    public long MemoryBytes { get; }

    /// <summary>When it finished loading.</summary>
    public DateTimeOffset LoadedAt { get; }

    /// <summary>How long loading took.</summary>
    public TimeSpan LoadDuration { get; }

    /// <summary>Serialises encoder calls, which use the shared worker pool from one caller at a time.</summary>
    internal SemaphoreSlim EncoderGate { get; } = new(1, 1);

    /// <summary>Requests using it now (guarded by the manager).</summary>
    internal int Leases { get; set; }

    /// <summary>When a request last released it.</summary>
    internal DateTimeOffset LastUsed { get; set; }

    /// <summary>When it unloads if still idle; null: never.</summary>
    public DateTimeOffset? ExpiresAt { get; internal set; }

    /// <summary>The generation engine, or a 400 saying the model only embeds.</summary>
    public IGenerationEngine RequireEngine() => Engine ?? throw new Http.ApiException(400,
        $"the model '{Name}' is an encoder ({Model.Architecture}); it embeds text but does not generate it", param: "model", code: "model_not_generative");
}

/// <summary>A request's hold on a resident model: it is not evicted until the lease is disposed.</summary>
public sealed class ModelLease : IDisposable
{
    private readonly ModelManager _manager;
    private int _disposed;

    internal ModelLease(ModelManager manager, ResidentModel model, TimeSpan? keepAlive, TimeSpan loadDuration)
    {
        _manager = manager;
        Resident = model;
        KeepAlive = keepAlive;
        LoadDuration = loadDuration;
    }

    /// <summary>The model.</summary>
    public ResidentModel Resident { get; }

    /// <summary>The keep-alive this request asked for (null: the server default).</summary>
    public TimeSpan? KeepAlive { get; set; }

    /// <summary>Time this request spent loading the model (zero when it was resident).</summary>
    public TimeSpan LoadDuration { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _manager.Release(this);
    }
}
