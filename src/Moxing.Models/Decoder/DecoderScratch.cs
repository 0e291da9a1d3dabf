namespace Moxing.Models.Decoder;

/// <summary>Activation buffers for up to <see cref="Tokens"/> tokens per forward call, allocated once per session.</summary>
public sealed class DecoderScratch
{
    /// <summary>Most tokens one forward call may process.</summary>
    public int Tokens { get; }

    internal float[] Hidden { get; }
    internal float[] Normed { get; }
    internal float[] Q { get; }
    internal float[] K { get; }
    internal float[] V { get; }
    internal float[] Fused { get; }
    internal float[] AttentionOut { get; }
    internal float[] Projected { get; }
    internal float[] Gate { get; }
    internal float[] Up { get; }

    /// <summary>Allocates buffers for <paramref name="tokens"/> tokens of <paramref name="o"/>.</summary>
    public DecoderScratch(DecoderOptions o, int tokens)
    {
        Tokens = tokens;
        int qDim = o.HeadCount * o.HeadDim, kvDim = o.KvHeadCount * o.HeadDim;
        Hidden = new float[tokens * o.HiddenSize];
        Normed = new float[tokens * o.HiddenSize];
        Q = new float[tokens * qDim];
        K = new float[tokens * kvDim];
        V = new float[tokens * kvDim];
        Fused = new float[tokens * Math.Max(qDim + 2 * kvDim, 2 * o.IntermediateSize)];
        AttentionOut = new float[tokens * qDim];
        Projected = new float[tokens * o.HiddenSize];
        Gate = new float[tokens * o.IntermediateSize];
        Up = new float[tokens * o.IntermediateSize];
    }
}
