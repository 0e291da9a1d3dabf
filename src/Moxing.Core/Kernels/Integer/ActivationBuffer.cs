namespace Moxing.Core.Kernels.Integer;

/// <summary>Each thread's scratch for quantized activations.</summary>
internal static unsafe class ActivationBuffer
{
    [ThreadStatic] private static AlignedScratch? _scratch;

    /// <summary>At least <paramref name="bytes"/> bytes, valid on this thread until its next call (pinned, 64-byte aligned).</summary>
    public static byte* Get(long bytes) => (_scratch ??= new AlignedScratch()).Get(bytes);
}
