using Moxing.Core.Autograd;

namespace Moxing.Nn.Optim;

/// <summary>Updates parameters from their gradients (torch.optim semantics); parameters without a gradient are skipped.</summary>
public abstract class Optimizer
{
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

    /// <summary>Per-parameter state buffer <paramref name="slot"/> of parameter <paramref name="index"/>, created as zeros.</summary>
    protected float[] State(Dictionary<int, float[]> slot, int index)
    {
        if (!slot.TryGetValue(index, out var s)) slot[index] = s = new float[Parameters[index].Count];
        return s;
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
