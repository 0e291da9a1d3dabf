using System.Numerics;

namespace Moxing.Core.Ops;

/// <summary>
/// Dropout's keep mask as a counter-based hash of (seed, element index), vectorized: element i is kept when
/// hash(seed, i) ≥ p·2³², so the mask costs a few integer instructions per element instead of a <see cref="Random"/>
/// draw, needs no storage (the backward pass recomputes it from the seed), and the same seed gives the same mask.
/// </summary>
public static class DropoutMask
{
    /// <summary>y = x·mask (or y += x·mask when <paramref name="accumulate"/>), mask 1/(1 − p) where kept and 0 where dropped; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Apply(ReadOnlySpan<float> x, Span<float> y, ulong seed, float p, bool accumulate)
    {
        if (y.Length != x.Length) throw new ArgumentException($"x and y differ in length ({x.Length}, {y.Length})", nameof(y));
        if (!(p >= 0f && p <= 1f)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        var threshold = (uint)Math.Min(p * 4294967296.0, uint.MaxValue);
        var scale = p == 1f ? 0f : 1f / (1f - p);
        var key = SplitMix64(seed);
        uint k0 = (uint)key, k1 = (uint)(key >> 32);
        var w = Vector<uint>.Count;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vScale = new Vector<float>(scale);
            var vThreshold = new Vector<uint>(threshold);
            for (; i <= x.Length - w; i += w)
            {
                var keep = Vector.AsVectorSingle(Vector.GreaterThanOrEqual(Hash(new Vector<uint>((uint)i) + Vector<uint>.Indices, k0, k1), vThreshold));
                var kept = Vector.ConditionalSelect(keep, new Vector<float>(x[i..]) * vScale, Vector<float>.Zero);
                (accumulate ? kept + new Vector<float>(y[i..]) : kept).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
        {
            var kept = Hash((uint)i, k0, k1) >= threshold ? x[i] * scale : 0f;
            y[i] = accumulate ? y[i] + kept : kept;
        }
    }

    // Two rounds of lowbias32 (Wellons' 32-bit integer mixer): the first over the index offset by one half of the key,
    // the second over that XOR the other half, so neighbouring seeds give unrelated streams rather than shifted ones.
    // Written once over Vector<uint> lanes; the scalar tail runs it through a broadcast so both paths hash alike.
    private static Vector<uint> Hash(Vector<uint> index, uint k0, uint k1) =>
        LowBias32(LowBias32(index * new Vector<uint>(0x9E3779B9u) + new Vector<uint>(k0)) ^ new Vector<uint>(k1));

    private static Vector<uint> LowBias32(Vector<uint> h)
    {
        h ^= Vector.ShiftRightLogical(h, 16);
        h *= new Vector<uint>(0x21F0AAADu);
        h ^= Vector.ShiftRightLogical(h, 15);
        h *= new Vector<uint>(0x735A2D97u);
        return h ^ Vector.ShiftRightLogical(h, 15);
    }

    // Vigna's SplitMix64 finalizer: spreads a seed's bits over both halves of the key.
    private static ulong SplitMix64(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static uint Hash(uint index, uint k0, uint k1) => Hash(new Vector<uint>(index), k0, k1)[0];
}
