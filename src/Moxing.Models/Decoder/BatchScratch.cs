using Moxing.Core.Ops;

namespace Moxing.Models.Decoder;

/// <summary>
/// Activation buffers for forward steps of up to <see cref="Tokens"/> tokens in all (over every sequence of a batch),
/// allocated once so steps allocate nothing. One scratch serves one step at a time.
/// </summary>
public sealed class BatchScratch
{
    /// <summary>Most tokens one forward step may process, summed over its slices.</summary>
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
    internal MoeScratch? Moe { get; }
    // A Mamba2 mixer's gated output per token ([tokens, inner]), what its norm and out_proj read (Mamba 1: first x_proj's input).
    internal float[] MambaInner { get; }
    // Mamba 1's x_proj output ([tokens, time-step rank + 2 · state]), its time-step inputs apart ([tokens, rank]) and dt_proj's
    // output ([tokens, inner]); empty for other models.
    internal float[] MambaSelection { get; }
    internal float[] MambaLowRank { get; }
    internal float[] MambaSteps { get; }
    // A Mamba2 mixer's output beside the attention's ([tokens, hidden]; Falcon-H1), empty otherwise.
    internal float[] Beside { get; }
    // Gemma 3n's and 4's per-layer inputs of every token, [tokens, layers, per-layer width].
    internal float[] PerLayerInputs { get; }
    // One token's row of the per-layer token table.
    internal float[] PerLayerRow { get; }
    // A Gated DeltaNet's output per token ([tokens, value dim]), what its gated norm and out_proj read; first Qwen3-Next's fused β/a.
    internal float[] DeltaOut { get; }
    // A gated attention's gate logits per token ([tokens, heads · head dim]).
    internal float[] AttentionGate { get; }
    // Gemma 3n's AltUp streams between layers and one layer's predictions of them, [streams, tokens, hidden] each.
    internal float[] AltUpStreams { get; }
    internal float[] AltUpPredictions { get; }
    // Per token, the router's weights of the streams ([tokens, streams]) and the coefficients made from them ([tokens, streams²]).
    internal float[] AltUpRouted { get; }
    internal float[] AltUpCoefficients { get; }
    // Gemma 3n's Laurel output beside the attention ([tokens, hidden]).
    internal float[] Laurel { get; }

    // Per token of the step: its id, position and slice.
    internal int[] Ids { get; }
    // Per token: the last position it attends to (its own, or the end of a bidirectional span it is in), and the span row
    // that replaces its embedding (null: its id's).
    internal int[] VisibleTo { get; }
    internal EmbeddedSpan?[] Embedded { get; }
    internal int[] Positions { get; }
    // M-RoPE's (t, h, w) rotary positions of each token, three apiece (DecoderOptions.Rope.Sections); empty without it.
    internal int[] RotaryPositions { get; }
    internal int[] SliceOf { get; }

    // Per slice of the step (a step has at most one slice per token); rotary tables are chosen by each sequence's context,
    // those of windowed layers apart when their schedule differs (DecoderOptions.SlidingRope).
    internal SequenceKv?[] Sequences { get; }
    internal RopeTable?[] SliceRope { get; }
    internal RopeTable?[] SliceSlidingRope { get; }
    internal int[] SliceStart { get; }
    internal LogitsWanted[] SliceLogits { get; }

    // Attention tiles of the step: tile k is tokens [TileStart[k], TileEnd[k]), all of one slice.
    internal int[] TileStart { get; }
    internal int[] TileEnd { get; }

    /// <summary>Allocates buffers for <paramref name="tokens"/> tokens of <paramref name="o"/>.</summary>
    public BatchScratch(DecoderOptions o, int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        Tokens = tokens;
        int qDim = o.WidestQuery, kvDim = o.WidestKeys, vDim = o.WidestValues;
        Hidden = new float[tokens * o.HiddenSize];
        Normed = new float[tokens * o.HiddenSize];
        // MLA's absorbed queries and its one cached row per token are as wide as its cache rows (DecoderOptions.CacheShapeOf).
        Q = new float[tokens * qDim];
        K = new float[tokens * kvDim];
        V = new float[tokens * vDim];
        Fused = new float[tokens * Math.Max(Math.Max(qDim + 2 * kvDim, 2 * o.WidestFeedForward), Math.Max(LatentWidth(o), RecurrentWidth(o)))];
        AttentionOut = new float[tokens * o.WidestAttentionOut];
        Projected = new float[tokens * o.HiddenSize];
        // The per-layer inputs' gate and slice pass through them too.
        // Laurel's rank-wide middle passes through Gate too.
        Gate = new float[tokens * Math.Max(Math.Max(o.WidestFeedForward, o.PerLayerInputSize), o.LaurelRank)];
        Up = new float[tokens * Math.Max(o.WidestFeedForward, o.PerLayerInputSize)];
        Moe = o.Moe is { } moe ? new MoeScratch(moe, o.HiddenSize, tokens) : null;
        MambaInner = new float[tokens * (o.Mamba?.Inner ?? 0)];
        var selective = o.Mamba is { Selective: true } mamba ? mamba : null;
        MambaSelection = new float[tokens * (selective?.SelectionWidth ?? 0)];
        MambaLowRank = new float[tokens * (selective?.TimeStepRank ?? 0)];
        MambaSteps = new float[tokens * (selective?.Inner ?? 0)];
        Beside = new float[o.Mamba?.BesideAttention == true ? tokens * o.HiddenSize : 0];
        PerLayerInputs = new float[tokens * o.LayerCount * o.PerLayerInputSize];
        PerLayerRow = new float[o.LayerCount * o.PerLayerInputSize];
        DeltaOut = new float[tokens * (o.DeltaNet is { } delta ? Math.Max(delta.ValueDim, 2 * delta.ValueHeads) : 0)];
        AttentionGate = new float[o.AttentionOutputGate ? tokens * qDim : 0];
        var streams = o.AltUp?.Streams ?? 0;
        AltUpStreams = new float[streams * tokens * o.HiddenSize];
        AltUpPredictions = new float[streams * tokens * o.HiddenSize];
        AltUpRouted = new float[streams * tokens];
        AltUpCoefficients = new float[streams * streams * tokens];
        Laurel = new float[o.LaurelRank > 0 ? tokens * o.HiddenSize : 0];
        Ids = new int[tokens];
        Positions = new int[tokens];
        RotaryPositions = new int[o.Rope?.Sections != null ? 3 * tokens : 0];
        VisibleTo = new int[tokens];
        Embedded = new EmbeddedSpan?[tokens];
        SliceOf = new int[tokens];
        Sequences = new SequenceKv?[tokens];
        SliceRope = new RopeTable?[tokens];
        SliceSlidingRope = new RopeTable?[tokens];
        SliceStart = new int[tokens + 1];
        SliceLogits = new LogitsWanted[tokens];
        TileStart = new int[tokens];
        TileEnd = new int[tokens];
    }

    // Per token, what a recurrent mixer's in_proj writes into Fused: LFM2's B, C, x (three times the hidden width), Mamba2's z, x·B·C, dt,
    // a Gated DeltaNet's q·k·v, z, β and decay; a gated attention's queries with their gates.
    private static int RecurrentWidth(DecoderOptions o) => Math.Max(Math.Max(o.ShortConv != null ? 3 * o.HiddenSize : 0, o.Mamba?.InProjWidth ?? 0),
        Math.Max(o.DeltaNet is { } d ? d.ConvChannels + d.ValueDim + 2 * d.ValueHeads : 0, o.AttentionOutputGate ? 2 * o.HeadCount * o.HeadDim : 0));

    // Per token, what multi-head latent attention holds in Fused: the query latent, the queries as q_b/q_proj gives them, and kv_a's output.
    private static int LatentWidth(DecoderOptions o) => o.Mla is not { } mla ? 0 : mla.QLoraRank + o.HeadCount * o.HeadDim + mla.KvLoraRank + mla.RopeDim;
}
