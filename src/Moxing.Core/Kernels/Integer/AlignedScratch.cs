using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Moxing.Core.Kernels.Integer;

/// <summary>A pinned, 64-byte aligned buffer that grows when a product needs more and never shrinks, so warm calls allocate nothing.</summary>
internal sealed unsafe class AlignedScratch
{
    private byte[]? _bytes;

    /// <summary>At least <paramref name="bytes"/> bytes, valid until the next call on this instance.</summary>
    public byte* Get(long bytes)
    {
        if (_bytes == null || _bytes.LongLength < bytes + 64)
            _bytes = GC.AllocateUninitializedArray<byte>(checked((int)Math.Max(bytes + 64, Math.Max(64 * 1024, 2L * (_bytes?.Length ?? 0)))), pinned: true);
        var p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_bytes));
        return (byte*)(((nint)p + 63) & ~(nint)63);
    }
}
