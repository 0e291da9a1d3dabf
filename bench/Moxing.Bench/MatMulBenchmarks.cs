using BenchmarkDotNet.Attributes;
using Moxing.Core.Kernels;
using Moxing.Core.Quantization;
using Moxing.Core.Tensors;

namespace Moxing.Bench;

/// <summary>
/// The weight products that decoding spends its time in: a 896 × 4864 matrix (Qwen2.5-0.5B's down projection) of each
/// stored type times one activation row (one sequence decoding) or sixteen (a batched step), on the shared worker pool,
/// through the repacked layout wherever the engine uses one.
/// </summary>
[MemoryDiagnoser]
public unsafe class MatMulBenchmarks
{
    private const int Rows = 896, Columns = 4864;
    private TensorArena _arena = null!;
    private StoredTensor _weights = null!;
    private RepackedMatrix? _repacked;
    private float[] _x = [], _y = [];

    /// <summary>The stored type of the weights.</summary>
    [Params(DType.Q4_K, DType.Q6_K, DType.Q5_0, DType.Q8_0, DType.F16)]
    public DType Type { get; set; }

    /// <summary>Activation rows per product.</summary>
    [Params(1, 16)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        var values = new float[Rows * Columns];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * 0.05f;
        _arena = new TensorArena();
        var bytes = Type.ByteCount(values.Length);
        var data = _arena.Allocate(bytes);
        Quantizer.Quantize(Type, values, new Span<byte>(data, checked((int)bytes)));
        _weights = new StoredTensor("w", Type, [Rows, Columns], data, bytes);
        _repacked = RepackedMatrix.CanRepack(_weights) ? RepackedMatrix.TryCreate(_weights, _arena, releaseFilePages: false) : null;
        _x = new float[N * Columns];
        for (var i = 0; i < _x.Length; i++) _x[i] = (float)(random.NextDouble() * 2 - 1);
        _y = new float[N * Rows];
    }

    [GlobalCleanup]
    public void Cleanup() => _arena.Dispose();

    /// <summary>y = x · Wᵀ for the N rows of x.</summary>
    [Benchmark]
    public void Product()
    {
        if (_repacked != null) MatMul.Parallel(_repacked, _x, N, _y);
        else MatMul.Parallel(_weights, _x, N, _y);
    }
}
