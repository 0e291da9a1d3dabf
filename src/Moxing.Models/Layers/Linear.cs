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
    private StoredTensor? _copy;
    private bool _repack;

    /// <summary>
    /// Wraps a stored [out, in] weight and an optional bias. Given <paramref name="repackArena"/> — only for a weight read from a
    /// file mapping — a weight that has a faster layout (<see cref="RepackedMatrix"/>) is copied into it at its first one-token
    /// product, and a weight whose products are bound by memory (<see cref="CopiedAsStored"/>) is copied as stored, into the
    /// arena's huge pages; the copy then serves every product, and the file's pages of the weight leave the resident set.
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

    /// <summary>True while the weight is to be copied (repacked or as stored) at its first one-token product; set false before
    /// it to keep only the file's layout (low-memory mode: no copies). Stays false for a weight that is not copied.</summary>
    public bool Repack
    {
        get => _repack;
        set => _repack = value && _repackArena != null && Copies(Weight);
    }

    /// <summary>True when a weight read from a file mapping is copied at its first one-token product: repacked into a faster
    /// layout (<see cref="RepackedMatrix.CanRepack"/>) or as stored (<see cref="CopiedAsStored"/>).</summary>
    public static bool Copies(StoredTensor w) => RepackedMatrix.CanRepack(w) || CopiedAsStored(w.Type);

    /// <summary>The weight as its products read it: the copy as stored once made, else <see cref="Weight"/> (also behind a repacked copy).</summary>
    public StoredTensor Served => _copy ?? Weight;

    /// <summary>True once a copy (repacked or as stored) serves the weight's products.</summary>
    public bool Repacked => _repacked != null || _copy != null;

    /// <summary>
    /// Types whose one-token products stream the weight at the memory's pace (floats, Q8_0, Q6_K) and so gain from reading
    /// it from huge pages rather than from the file mapping's small pages; the others are bound by their arithmetic.
    /// </summary>
    public static bool CopiedAsStored(DType type) => type is DType.F32 or DType.F16 or DType.BF16 or DType.Q8_0 or DType.Q6_K;

    /// <summary>Makes the copy (repacked or as stored) now if the weight is to be copied, as its first one-token product would.</summary>
    public void EnsureRepacked()
    {
        if (!Repacked && Repack) RepackNow();
    }

    /// <summary>y[t] = W·x[t] + b for the <paramref name="n"/> rows of x ([n, in]) into y ([n, out]).</summary>
    public void Forward(ReadOnlySpan<float> x, int n, Span<float> y)
    {
        MatMul.Parallel(x[..(n * InFeatures)], n, Product(n), y[..(n * OutFeatures)]);
        AddBias(n, y);
    }

    /// <summary>
    /// <paramref name="a"/>, <paramref name="b"/> and optionally <paramref name="c"/> forward on the same n rows of x, as one
    /// product where their kernels allow (<see cref="MatMul.Parallel(ReadOnlySpan{float}, int, SharedProduct, Span{float}, SharedProduct, Span{float}, SharedProduct, Span{float})"/>):
    /// the activations quantized once and one loop over all their rows. Each output equals its own <see cref="Forward(ReadOnlySpan{float}, int, Span{float})"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> x, int n, Linear a, Span<float> ya, Linear b, Span<float> yb, Linear? c = null, Span<float> yc = default)
    {
        MatMul.Parallel(x[..(n * a.InFeatures)], n, a.Product(n), ya[..(n * a.OutFeatures)], b.Product(n), yb[..(n * b.OutFeatures)],
            c?.Product(n) ?? default, c == null ? default : yc[..(n * c.OutFeatures)]);
        a.AddBias(n, ya);
        b.AddBias(n, yb);
        c?.AddBias(n, yc);
    }

    // The weight and the repacked copy that serve an n-row product: copied at the first one-token product (decoding), then
    // read by every product.
    private SharedProduct Product(int n)
    {
        if (n == 1) EnsureRepacked();
        return new(Served, _repacked);
    }

    private void AddBias(int n, Span<float> y)
    {
        if (Bias == null) return;
        for (var t = 0; t < n; t++)
            System.Numerics.Tensors.TensorPrimitives.Add(y.Slice(t * OutFeatures, OutFeatures), Bias, y.Slice(t * OutFeatures, OutFeatures));
    }

    private void RepackNow()
    {
        lock (_repackGate)
        {
            if (Repacked || !Repack) return;
            if (RepackedMatrix.CanRepack(Weight))
            {
                _repacked = RepackedMatrix.TryCreate(Weight, _repackArena!, releaseFilePages: true);
                // null when a scale is infinite or NaN: then the file's layout stays
                Repack = _repacked != null;
                return;
            }
            _copy = _repackArena!.Copy(Weight, releaseFilePages: true);
        }
    }
}
