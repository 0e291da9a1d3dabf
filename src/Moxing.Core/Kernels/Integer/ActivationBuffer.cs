using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Moxing.Core.Kernels.Integer;

/// <summary>Each thread's scratch for quantized activations: grown when a product needs more, never shrunk, so warm calls allocate nothing.</summary>
internal static unsafe class ActivationBuffer
{
    [ThreadStatic] private static byte[]? _bytes;

    /// <summary>At least <paramref name="bytes"/> bytes, valid on this thread until its next call (pinned, 64-byte aligned).</summary>
    public static byte* Get(long bytes)
    {
        if (_bytes == null || _bytes.LongLength < bytes + 64)
            _bytes = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes + 64, Math.Max(64 * 1024, 2L * (_bytes?.Length ?? 0)))), pinned: true);
        var p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_bytes));
        return (byte*)(((nint)p + 63) & ~(nint)63);
    }
}
