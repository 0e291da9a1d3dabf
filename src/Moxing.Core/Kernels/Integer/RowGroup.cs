namespace Moxing.Core.Kernels.Integer;

/// <summary>How many weight rows a matrix-vector micro-kernel multiplies in one pass, sharing every activation load (a JIT-time constant).</summary>
internal interface IRowGroup
{
    /// <summary>Weight rows per pass: 1, 2 or 4.</summary>
    static abstract int Count { get; }
}

/// <summary>One weight row per pass (the last row of an odd range).</summary>
internal readonly struct OneRow : IRowGroup
{
    public static int Count => 1;
}

/// <summary>Two weight rows per pass.</summary>
internal readonly struct TwoRows : IRowGroup
{
    public static int Count => 2;
}

/// <summary>Four weight rows per pass.</summary>
internal readonly struct FourRows : IRowGroup
{
    public static int Count => 4;
}
