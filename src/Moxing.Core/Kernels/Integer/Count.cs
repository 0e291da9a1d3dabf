namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// A count fixed at JIT time: how many activation rows (tokens) a micro-kernel multiplies into each weight row it decodes,
/// or how many weight rows a matrix-vector kernel reads in one pass sharing every activation load.
/// </summary>
internal interface ICount
{
    /// <summary>The count: 1, 2 or 4.</summary>
    static abstract int Count { get; }
}

/// <summary>One row per pass.</summary>
internal readonly struct One : ICount
{
    public static int Count => 1;
}

/// <summary>Two rows per pass.</summary>
internal readonly struct Two : ICount
{
    public static int Count => 2;
}

/// <summary>Four rows per pass.</summary>
internal readonly struct Four : ICount
{
    public static int Count => 4;
}
