using Moxing.Core.Kernels;
using Moxing.Core.Tensors;

namespace Moxing.Models.Layers;

/// <summary>y = W·x (+ b) with W kept in its stored type, rows = output features.</summary>
public sealed class Linear
{
    /// <summary>The weight matrix [out, in] as stored.</summary>
    public StoredTensor Weight { get; }

    /// <summary>Optional bias [out].</summary>
    public float[]? Bias { get; }

    /// <summary>Output features (rows of the weight).</summary>
    public int OutFeatures { get; }

    /// <summary>Input features (columns of the weight).</summary>
    public int InFeatures { get; }

    private readonly TensorArena? _repackArena;
    private readonly Lock _repackGate = new();
    private RepackedMatrix? _repacked;
    private bool _repack;

    /// <summary>
    /// Wraps a stored [out, in] weight and an optional bias. Given <paramref name="repackArena"/> — only for a weight read from a
    /// file mapping — a weight that has a faster layout (<see cref="RepackedMatrix"/>) is copied into it at its first one-token
    /// product; the copy then serves every product, and the file's pages of the weight leave the resident set.
    /// </summary>
    public Linear(StoredTensor weight, float[]? bias, TensorArena? repackArena = null)
    {
        if (weight.Shape.Length != 2)
            throw new ArgumentException($"{weight.Name}: expected a matrix, got shape [{string.Join(", ", weight.Shape)}]");
        Weight = weight;
        Bias = bias;
        OutFeatures = checked((int)weight.Shape[0]);
        InFeatures = checked((int)weight.Shape[1]);
        if (bias != null && bias.Length != OutFeatures)
            throw new ArgumentException($"{weight.Name}: bias has {bias.Length} values, expected {OutFeatures}");
        _repackArena = repackArena;
        Repack = true;
    }

    /// <summary>True while the weight is to be repacked at its first one-token product; set false before it to keep only the
    /// file's layout (low-memory mode: no copies). Stays false for a weight that cannot be repacked.</summary>
    public bool Repack
    {
        get => _repack;
        set => _repack = value && _repackArena != null && RepackedMatrix.CanRepack(Weight);
    }

    /// <summary>True once a repacked copy serves the weight's products.</summary>
    public bool Repacked => _repacked != null;

    /// <summary>Makes the repacked copy now if the weight is to be repacked, as its first one-token product would.</summary>
    public void EnsureRepacked()
    {
        if (_repacked == null && Repack) RepackNow();
    }

    /// <summary>y[t] = W·x[t] + b for the <paramref name="n"/> rows of x ([n, in]) into y ([n, out]).</summary>
    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y)
    {
        // repacked at the first one-token product (decoding), then read by every product
        var repacked = _repacked ?? (n == 1 && Repack ? RepackNow() : null);
        if (repacked != null) MatMul.Parallel(repacked, x[..(n * InFeatures)], n, y[..(n * OutFeatures)]);
        else MatMul.Parallel(Weight, x[..(n * InFeatures)], n, y[..(n * OutFeatures)]);
        if (Bias == null) return;
        for (var t = 0; t < n; t++)
            System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(t * OutFeatures, OutFeatures), Bias, y.Slice(t * OutFeatures, OutFeatures));
    }

    private RepackedMatrix? RepackNow()
    {
        lock (_repackGate)
        {
            if (_repacked == null && Repack)
            {
                _repacked = RepackedMatrix.TryCreate(Weight, _repackArena!, releaseFilePages: true);
                // null when a scale is infinite or NaN: then the file's layout stays
                Repack = _repacked != null;
            }
            return _repacked;
        }
    }
}
