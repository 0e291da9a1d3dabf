using BenchmarkDotNet.Attributes;
using Moxing.Core.Ops;
using Moxing.Core.Tensors;

namespace Moxing.Bench;

/// <summary>
/// One decoding token's attention for one KV head of a cached sequence, as the paged attention runs it block by block: the
/// seven query heads of Qwen2.5-0.5B's GQA group (head dimension 64) against F16 keys and values of 16-position blocks —
/// scores, softmax, weighted values.
/// </summary>
[MemoryDiagnoser]
public class AttentionBenchmarks
{
    private const int Heads = 7, HeadDim = 64, BlockRows = 16;
    private byte[] _keys = [], _values = [];
    private float[] _queries = [], _scores = [], _rows = [], _output = [];

    /// <summary>Cached positions the token attends to.</summary>
    [Params(256, 1024)]
    public int Positions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        float[] Floats(int count) => [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))];
        _keys = new byte[Positions * HeadDim * 2];
        _values = new byte[Positions * HeadDim * 2];
        AttentionRows.Encode(DType.F16, Floats(Positions * HeadDim), _keys);
        AttentionRows.Encode(DType.F16, Floats(Positions * HeadDim), _values);
        _queries = Floats(Heads * HeadDim);
        _scores = new float[Heads * Positions];
        _rows = new float[BlockRows * HeadDim];
        _output = new float[Heads * HeadDim];
    }

    /// <summary>softmax(q · Kᵀ / 8) · V for the seven heads, a block of rows decoded at a time.</summary>
    [Benchmark]
    public void Decode()
    {
        const int blockBytes = BlockRows * HeadDim * 2;
        for (var p = 0; p < Positions; p += BlockRows)
        {
            var keys = AttentionRows.Decode(DType.F16, _keys.AsSpan(p * HeadDim * 2, blockBytes), _rows);
            Attention.Scores(_queries, keys, HeadDim, 0.125f, _scores.AsSpan(p), Positions);
        }
        Attention.Normalize(_scores, Heads, Positions, Positions, softCap: 0);
        Array.Clear(_output);
        for (var p = 0; p < Positions; p += BlockRows)
        {
            var values = AttentionRows.Decode(DType.F16, _values.AsSpan(p * HeadDim * 2, blockBytes), _rows);
            Attention.AccumulateValues(_scores.AsSpan(p), Positions, values, HeadDim, _output);
        }
    }
}
