using System.Globalization;
using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Core.Formats.Safetensors;

namespace Moxing.Nn.Optim;

/// <summary>Updates parameters from their gradients (torch.optim semantics); parameters without a gradient are skipped.</summary>
public abstract class Optimizer
{
    private Dictionary<string, Dictionary<int, float[]>> _state = new(StringComparer.Ordinal);
    private Dictionary<int, int> _updates = [];

    /// <summary>Creates the optimizer over <paramref name="parameters"/>.</summary>
    protected Optimizer(IEnumerable<Tensor> parameters, double learningRate)
    {
        Parameters = [.. parameters];
        if (learningRate < 0) throw new ArgumentOutOfRangeException(nameof(learningRate), "learning rate must be non-negative");
        LearningRate = learningRate;
        InitialLearningRate = learningRate;
    }

    /// <summary>The parameters updated.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The current learning rate (schedules change it).</summary>
    public double LearningRate { get; set; }

    /// <summary>The learning rate the optimizer was created with (schedules scale it).</summary>
    public double InitialLearningRate { get; }

    /// <summary>Steps taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters) p.ZeroGrad();
    }

    /// <summary>Applies one update to every parameter that has a gradient.</summary>
    public void Step()
    {
        StepCount++;
        for (var i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            if (p.Grad != null) Update(i, p.Data, p.Grad.Data);
        }
    }

    /// <summary>Updates parameter <paramref name="index"/> in place from its gradient.</summary>
    protected abstract void Update(int index, Span<float> parameter, ReadOnlySpan<float> gradient);

    /// <summary>Per-parameter state buffer <paramref name="slot"/> (PyTorch's state key, e.g. exp_avg) of parameter <paramref name="index"/>, created as zeros.</summary>
    protected float[] State(string slot, int index)
    {
        if (!_state.TryGetValue(slot, out var buffers)) _state[slot] = buffers = [];
        if (!buffers.TryGetValue(index, out var s)) buffers[index] = s = new float[Parameters[index].Count];
        return s;
    }

    /// <summary>Whether parameter <paramref name="index"/> has a buffer <paramref name="slot"/> yet.</summary>
    protected bool HasState(string slot, int index) => _state.TryGetValue(slot, out var buffers) && buffers.ContainsKey(index);

    /// <summary>Counts one more update of parameter <paramref name="index"/> (bias corrections need it) and returns the count.</summary>
    protected int CountUpdate(int index) => _updates[index] = _updates.GetValueOrDefault(index) + 1;

    /// <summary>
    /// Writes the whole optimizer state (every buffer as a tensor "SLOT.INDEX", step counts and learning rate in the metadata)
    /// to a safetensors file, so training resumes exactly where it stopped.
    /// </summary>
    public void SaveState(string path)
    {
        var writer = new SafetensorsWriter();
        writer.SetMetadata("optimizer", GetType().Name);
        writer.SetMetadata("parameters", Parameters.Count.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata("step", StepCount.ToString(CultureInfo.InvariantCulture));
        writer.SetMetadata("learning_rate", LearningRate.ToString("R", CultureInfo.InvariantCulture));
        writer.SetMetadata("updates", string.Join(",", _updates.OrderBy(u => u.Key).Select(u => $"{u.Key}:{u.Value}")));
        foreach (var (slot, buffers) in _state)
            foreach (var (index, buffer) in buffers)
                writer.Add($"{slot}.{index}", [buffer.Length], buffer);
        writer.Write(path);
    }

    /// <summary>Restores a state written by <see cref="SaveState"/> for the same optimizer over the same parameters.</summary>
    public void LoadState(string path)
    {
        using var file = SafetensorsFile.Open(path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidModelFileException(path, $"optimizer state has no '{key}' metadata");
        if (Meta("optimizer") != GetType().Name) throw new InvalidModelFileException(path, $"holds {Meta("optimizer")} state, the optimizer is {GetType().Name}");
        if (Meta("parameters") != Parameters.Count.ToString(CultureInfo.InvariantCulture))
            throw new InvalidModelFileException(path, $"holds state of {Meta("parameters")} parameters, the optimizer has {Parameters.Count}");
        var updates = new Dictionary<int, int>();
        foreach (var pair in Meta("updates").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split(':');
            if (parts.Length != 2 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var index) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var count)
                || (uint)index >= (uint)Parameters.Count || count < 0)
                throw new InvalidModelFileException(path, $"bad update count '{pair}' (expected PARAMETER:COUNT)");
            updates[index] = count;
        }
        var state = new Dictionary<string, Dictionary<int, float[]>>(StringComparer.Ordinal);
        foreach (var tensor in file.Tensors)
        {
            var dot = tensor.Name.LastIndexOf('.');
            if (dot <= 0 || !int.TryParse(tensor.Name.AsSpan(dot + 1), CultureInfo.InvariantCulture, out var index) || (uint)index >= (uint)Parameters.Count)
                throw new InvalidModelFileException(path, $"tensor '{tensor.Name}' is not SLOT.PARAMETER of this optimizer");
            if (tensor.ElementCount != Parameters[index].Count)
                throw new InvalidModelFileException(path, $"tensor '{tensor.Name}' has {tensor.ElementCount} values, parameter {index} has {Parameters[index].Count}");
            var slot = tensor.Name[..dot];
            if (!state.TryGetValue(slot, out var buffers)) state[slot] = buffers = [];
            buffers[index] = Tensor.FromStored(tensor).Data.ToArray();
        }
        if (!int.TryParse(Meta("step"), CultureInfo.InvariantCulture, out var step) || step < 0)
            throw new InvalidModelFileException(path, $"step '{Meta("step")}' is not a count");
        if (!double.TryParse(Meta("learning_rate"), CultureInfo.InvariantCulture, out var rate) || rate < 0)
            throw new InvalidModelFileException(path, $"learning_rate '{Meta("learning_rate")}' is not a rate");
        (_state, _updates, StepCount, LearningRate) = (state, updates, step, rate);
    }

    /// <summary>g + weightDecay·p when decay is on (coupled L2 as torch.optim), else g itself.</summary>
    protected static ReadOnlySpan<float> WithWeightDecay(ReadOnlySpan<float> gradient, ReadOnlySpan<float> parameter, float weightDecay)
    {
        if (weightDecay == 0f) return gradient;
        var g = new float[gradient.Length];
        for (var i = 0; i < g.Length; i++) g[i] = gradient[i] + weightDecay * parameter[i];
        return g;
    }
}
