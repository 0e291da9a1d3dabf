namespace Moxing.Core.Kernels.Integer;

/// <summary>How many activation rows an integer micro-kernel multiplies into each weight row it decodes (a JIT-time constant).</summary>
internal interface ITokenCount
{
    /// <summary>Activation rows per pass: 1 (decoding) or 4 (prefill tiles).</summary>
    static abstract int Count { get; }
}

/// <summary>One activation row per decoded weight row.</summary>
internal readonly struct OneToken : ITokenCount
{
    public static int Count => 1;
}

/// <summary>Four activation rows per decoded weight row.</summary>
internal readonly struct FourTokens : ITokenCount
{
    public static int Count => 4;
}
