using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Moxing.Core.Tensors;
using Moxing.Inference.Scheduling;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Models.Decoder;
using Moxing.Server.Http;
using Moxing.Server.Observability;
using Moxing.Server.Store;

namespace Moxing.Server.Models;

/// <summary>
/// Resolves model names to resident models: loads on first use, keeps several resident within the memory limit, unloads
/// a model when its keep-alive expires and evicts the least recently used idle model when a new one needs the room.
/// </summary>
public sealed class ModelManager : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, ResidentModel> _resident = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Task> _loading = new(StringComparer.OrdinalIgnoreCase);
    private readonly EngineFactory _engines;
    private readonly ILogger _log;
    private readonly TimeProvider _clock;
    private readonly Func<string, IStepObserver>? _stepObservers;
    private readonly ITimer _sweeper;
    private TaskCompletionSource _released = NewSignal();

    /// <summary>
    /// A manager over <paramref name="catalog"/> that builds engines with <paramref name="engines"/>; <paramref name="stepObservers"/>
    /// gives each model's engine an observer of its steps (metrics).
    /// </summary>
    public ModelManager(IModelCatalog catalog, ModelManagerOptions options, EngineFactory engines, ILogger<ModelManager> log, TimeProvider? clock = null,
        Func<string, IStepObserver>? stepObservers = null)
    {
        _stepObservers = stepObservers;
        Catalog = catalog;
        Options = options;
        _engines = engines;
        _log = log;
        _clock = clock ?? TimeProvider.System;
        _sweeper = _clock.CreateTimer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>Where names resolve.</summary>
    public IModelCatalog Catalog { get; }

    /// <summary>Limits and defaults.</summary>
    public ModelManagerOptions Options { get; }

    /// <summary>The models in memory now, most recently used first.</summary>
    public IReadOnlyList<ResidentModel> Resident()
    {
        lock (_gate) return _resident.Values.OrderByDescending(r => r.LastUsed).ToList();
    }

    /// <summary>
    /// The model called <paramref name="name"/>, loaded if need be, held until the lease is disposed. <paramref name="keepAlive"/>
    /// sets how long it stays after this request (null: the default; negative: forever; zero: unload at once).
    /// </summary>
    public async Task<ModelLease> AcquireAsync(string name, TimeSpan? keepAlive, CancellationToken cancellation)
    {
        var entry = Catalog.Find(name) ?? throw ApiException.ModelNotFound(name);
        RequestTelemetry.Current?.ModelAcquired(entry.Name);
        var started = _clock.GetTimestamp();
        var waited = false;
        while (true)
        {
            Task pending;
            lock (_gate)
            {
                if (_resident.TryGetValue(entry.Name, out var resident))
                {
                    resident.Leases++;
                    resident.ExpiresAt = null;
                    return new ModelLease(this, resident, keepAlive, waited ? _clock.GetElapsedTime(started) : TimeSpan.Zero);
                }
                if (!_loading.TryGetValue(entry.Name, out pending!))
                {
                    var loading = Task.Run(() => LoadAsync(entry));
                    _loading[entry.Name] = loading;
                    pending = loading;
                }
            }
            await pending.WaitAsync(cancellation);
            waited = true;
        }
    }

    /// <summary>The generation defaults the model called <paramref name="name"/> brings (stop strings, sampling, system prompt), or null.</summary>
    public ModelDefaults? DefaultsOf(string name) => Catalog.Find(name)?.Defaults;

    /// <summary>Unloads the model now if idle, else as soon as its last request ends. False when it is not resident.</summary>
    public async Task<bool> UnloadAsync(string name)
    {
        ResidentModel? victim;
        lock (_gate)
        {
            victim = _resident.Values.FirstOrDefault(r => ModelName.SameModel(r.Name, name));
            if (victim is null) return false;
            victim.ExpiresAt = _clock.GetUtcNow();
            if (victim.Leases > 0) return true;
            _resident.Remove(victim.Name);
        }
        await DisposeResidentAsync(victim);
        return true;
    }

    internal void Release(ModelLease lease)
    {
        var r = lease.Resident;
        var unload = false;
        lock (_gate)
        {
            r.Leases--;
            r.LastUsed = _clock.GetUtcNow();
            if (r.Leases == 0)
            {
                var keep = lease.KeepAlive ?? Options.KeepAlive;
                r.ExpiresAt = keep < TimeSpan.Zero ? null : r.LastUsed + keep;
                unload = keep == TimeSpan.Zero || (r.ExpiresAt <= r.LastUsed);
                if (unload) _resident.Remove(r.Name);
            }
            Signal();
        }
        if (unload) _ = DisposeResidentAsync(r);
    }

    // Loads a model, making room first by evicting idle models, least recently used first.
    private async Task LoadAsync(CatalogEntry entry)
    {
        try
        {
            await MakeRoomAsync(entry, entry.SizeBytes);
            var clock = Stopwatch.StartNew();
            var model = ModelLoader.Load(entry.Path, entry.Projector);
            try
            {
                var weights = model.Tensors.Sum(t => t.ByteLength);
                var settings = model.Decoder is null ? null : await SettleEngineAsync(entry, model, weights);
                var engine = settings is null ? null : _engines(model, settings);
                var memory = weights + (settings?.KvBudgetBytes ?? 0);
                var now = _clock.GetUtcNow();
                var resident = new ResidentModel(entry, model, engine, settings, memory, now, clock.Elapsed) { ExpiresAt = now + Options.KeepAlive };
                LogLoad(resident, weights);
                lock (_gate) _resident[entry.Name] = resident;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            lock (_gate)
            {
                _loading.Remove(entry.Name);
                Signal();
            }
        }
    }

    // The capacity math: the KV cache gets what the memory limit leaves after the weights, up to Parallel full-context sequences;
    // Parallel sequences run in it, admitted by the blocks they use (preempted and recomputed when it runs out).
    private async Task<EngineSettings> SettleEngineAsync(CatalogEntry entry, LoadedModel model, long weights)
    {
        var low = Options.LowMemory;
        var context = Options.Context > 0 ? Options.Context : low ? LowMemory.ContextCap : ModelManagerOptions.DefaultContextCap;
        if (model.MaxContext > 0) context = Math.Min(context, model.MaxContext);
        // the model's own num_ctx (an Ollama model's params) caps it further
        if (entry.Defaults?.NumCtx is > 0 and var numCtx) context = Math.Min(context, numCtx);
        var decoder = model.RequireDecoder().Options;
        var kvType = Options.KvType is { } chosen ? KvCacheType.For(decoder, chosen) : low ? LowMemory.KvTypeFor(decoder) : DType.F16;
        if (Options.KvType is { } wanted && wanted != kvType)
            _log.LogWarning("{Model}: its heads ({HeadDim} wide) are not whole {Type} blocks; its KV cache stays {Kept}", entry.Name, decoder.HeadDim, wanted, kvType);
        if (low) LowMemory.KeepWeightsMapped(model.RequireDecoder());
        else
        {
            // a board with little memory reads the weights as it needs them; elsewhere they are read ahead while the engine
            // starts, and copied into the kernels' faster layouts before the first request rather than during its first step
            model.PrefetchWeights();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var repacked = model.RequireDecoder().Weights.Repack();
            if (repacked > 0)
                _log.LogInformation("{Model}: {Bytes} of weights copied into the kernels' layouts (huge pages) in {Ms} ms", entry.Name, Mib(repacked), clock.ElapsedMilliseconds);
        }
        // The scheduler holds KV memory in whole blocks.
        // A model with recurrent layers (LFM2, Mamba2) also keeps a fixed state per sequence, and with prefix caching the cache keeps
        // a snapshot of such a state per running sequence.
        var contextBytes = EngineSettings.KvBytesPerToken(model, kvType) * ((context + Engines.KvBlockTokens - 1) / Engines.KvBlockTokens * Engines.KvBlockTokens);
        var state = KvBlockPool.StateBytesPerSequence(decoder);
        var states = low ? state : 2 * state;
        var perSequence = contextBytes + states;
        var free = await MakeRoomAsync(entry, weights + perSequence);
        var sequences = (int)Math.Clamp((free - weights) / perSequence, 1, Options.Parallel);
        // every running sequence's recurrent state comes out of the budget, beside one context
        var running = state == 0 ? Options.Parallel : (int)Math.Min(Options.Parallel, (sequences * perSequence - contextBytes) / states);
        if (low && model.CopiedWeightBytes > 0)
            _log.LogWarning("--low-memory: {Copied} of {Model}'s weights are decoded copies, not memory-mapped (a GGUF of it keeps every weight mapped)",
                Mib(model.CopiedWeightBytes), entry.Name);
        return new EngineSettings(context, running, sequences * perSequence)
        {
            FullContextSequences = sequences,
            StepObserver = _stepObservers?.Invoke(entry.Name),
            KvType = kvType,
            PrefixCaching = !low,
            StateSnapshots = low || state == 0 ? 0 : running,
            PrefillChunkTokens = low ? LowMemory.PrefillChunk : 0,
            SpeculativeTokens = Options.SpeculativeTokens,
        };
    }

    // Evicts idle models until `bytes` fit; waits for busy models to finish when only they stand in the way. Returns the free bytes.
    private async Task<long> MakeRoomAsync(CatalogEntry entry, long bytes)
    {
        var max = Options.EffectiveMaxMemory;
        if (bytes > max)
            throw new ApiException(507, $"the model '{entry.Name}' needs {Mib(bytes)} but the memory limit (--max-memory) is {Mib(max)}",
                "server_error", "model", "insufficient_memory");
        while (true)
        {
            var victims = new List<ResidentModel>();
            Task wait;
            lock (_gate)
            {
                var used = _resident.Values.Sum(r => r.MemoryBytes);
                foreach (var idle in _resident.Values.Where(r => r.Leases == 0).OrderBy(r => r.LastUsed).ToList())
                {
                    if (max - used >= bytes) break;
                    _resident.Remove(idle.Name);
                    victims.Add(idle);
                    used -= idle.MemoryBytes;
                }
                if (max - used >= bytes && victims.Count == 0) return max - used;
                wait = _released.Task;
            }
            foreach (var victim in victims)
            {
                _log.LogInformation("evicting {Model} (least recently used) to make room for {Next}", victim.Name, entry.Name);
                await DisposeResidentAsync(victim);
            }
            if (victims.Count == 0)
            {
                _log.LogInformation("waiting for running requests to free memory for {Model}", entry.Name);
                await wait;
            }
        }
    }

    private void LogLoad(ResidentModel r, long weights)
    {
        if (r.Settings is not { } s)
        {
            _log.LogInformation("loaded {Model} ({Architecture} encoder) in {Ms} ms: weights {Weights}", r.Name, r.Model.Architecture,
                (long)r.LoadDuration.TotalMilliseconds, Mib(weights));
            return;
        }
        var perToken = EngineSettings.KvBytesPerToken(r.Model, s.KvType);
        var state = KvBlockPool.StateBytesPerSequence(r.Model.RequireDecoder().Options);
        var prefixCache = !s.PrefixCaching ? "off" : s.StateSnapshots > 0 ? $"on, with {s.StateSnapshots} recurrent-state snapshots ({Mib(s.StateSnapshots * state)}) in the KV budget" : "on";
        _log.LogInformation(
            "loaded {Model} ({Architecture}) in {Ms} ms: weights {Weights}; KV cache {KvType}, {PerToken} bytes/token x context {Context} + {State} bytes of recurrent state = {PerSequence} per sequence; " +
            "KV budget {Budget} holds {Full} sequences at full context; up to {Sequences} run at once, admitted by the memory they use " +
            "(the latest admitted is preempted and recomputed when it runs out); prefix cache {PrefixCache}",
            r.Name, r.Model.Architecture, (long)r.LoadDuration.TotalMilliseconds, Mib(weights), s.KvType, perToken, s.Context, state, Mib(perToken * s.Context + state),
            Mib(s.KvBudgetBytes), s.FullContextSequences, s.MaxSequences, prefixCache);
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB");

    private void Sweep()
    {
        List<ResidentModel> expired;
        lock (_gate)
        {
            var now = _clock.GetUtcNow();
            expired = _resident.Values.Where(r => r.Leases == 0 && r.ExpiresAt <= now).ToList();
            foreach (var r in expired) _resident.Remove(r.Name);
        }
        foreach (var r in expired)
        {
            _log.LogInformation("unloading {Model}: keep-alive expired", r.Name);
            _ = DisposeResidentAsync(r);
        }
    }

    private async Task DisposeResidentAsync(ResidentModel r)
    {
        try
        {
            if (r.Engine is not null) await r.Engine.DisposeAsync();
        }
        finally
        {
            r.Model.Dispose();
            lock (_gate) Signal();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Wakes everyone waiting for memory or a load; callers hold _gate.
    private void Signal()
    {
        _released.TrySetResult();
        _released = NewSignal();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _sweeper.DisposeAsync();
        List<ResidentModel> all;
        lock (_gate)
        {
            all = _resident.Values.ToList();
            _resident.Clear();
        }
        foreach (var r in all) await DisposeResidentAsync(r);
    }
}
