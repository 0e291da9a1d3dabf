namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The layout of a weight panel: <see cref="Rows"/> weight rows repacked so that one 256-bit vector holds four consecutive
/// codes of each row (vector g = codes 4g..4g+3 of rows 0..7), as ggml's interleaved <c>block_q4_0x8</c>. A product of
/// one vector with four activation codes broadcast to every lane (<c>vpdpbusd</c>) then adds one row's partial dot product
/// to each lane: eight rows per instruction, no horizontal sums, and per-row scales are plain vectors.
/// </summary>
/// <remarks>Small blocks keep signed codes signed; K panels bias signed codes by 128 and correct through their minimums.</remarks>
internal static class Panel
{
    /// <summary>Weight rows per panel: the 32-bit lanes of a 256-bit vector.</summary>
    public const int Rows = 8;

    /// <summary>How many <c>pmaddubsw</c> results (each two byte products) of unsigned codes up to <paramref name="largestCode"/>
    /// and activation codes up to 128 in magnitude add in 16 bits without saturating: 8, 4, 2 or (signed codes) 1.</summary>
    public static int ProductsPerSum(int largestCode) => largestCode < 16 ? 8 : largestCode < 32 ? 4 : largestCode < 64 ? 2 : 1;

    /// <summary>Activation rows from which packing a small-block panel pays for itself (measured on Zen 4 against the row
    /// kernels, unsigned and signed codes alike).</summary>
    public const int SmallTokens = 4;

    /// <summary>Activation rows from which packing a K panel pays for itself: its scale tables and eight chunk transposes per
    /// super-block cost more than the row kernels save below twelve.</summary>
    public const int SuperTokens = 12;

    /// <summary>Bytes of one 32-weight block of eight rows: codes, then eight float scales, then eight float offsets.</summary>
    public const int SmallBytes = 320;

    /// <summary>Offset of the per-row scales d in a small block.</summary>
    public const int SmallScale = 256;

    /// <summary>Offset of the per-row offsets (the constant times the activation block's d·Σx) in a small block.</summary>
    public const int SmallOffset = 288;

    /// <summary>Bytes of one 256-weight K super-block of eight rows (see the K offsets below).</summary>
    public const int SuperBytes = 3136;

    /// <summary>Offset of the sixteen 16-code group scales (int32 per row, group order) in a super-block.</summary>
    public const int SuperScales = 2048;

    /// <summary>Offset of the minimums that share d: eight vectors of 16-bit pairs (groups 2p, 2p+1) per row.</summary>
    public const int SuperSameMins = 2560;

    /// <summary>Offset of the minimums with their own factor dmin, laid out as <see cref="SuperSameMins"/>.</summary>
    public const int SuperOwnMins = 2816;

    /// <summary>Offset of the per-row d (eight floats), followed by the per-row dmin.</summary>
    public const int SuperScale = 3072;

    /// <summary>Offset of the per-row dmin (eight floats).</summary>
    public const int SuperOwnScale = 3104;
}
