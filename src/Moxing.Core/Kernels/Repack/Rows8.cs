using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.Kernels.Half;

namespace Moxing.Core.Kernels.Repack;

/// <summary>
/// What the eight-row layouts (<see cref="Q4KRows8"/>, <see cref="Q6KRows8"/>) share: a 64-byte register pair holds eight
/// bytes of each of the eight rows — rows 0, 1, 4, 5 in the first 32 bytes and rows 2, 3, 6, 7 in the second, each 128-bit
/// half two rows — so that after <c>pmaddubsw</c> and <c>pmaddwd</c> one horizontal add of the two leaves rows 0..7 in order.
/// </summary>
internal static unsafe class Rows8
{
    /// <summary>Rows per group.</summary>
    public const int Rows = 8;

    /// <summary>Offset of row r's eight bytes within a 64-byte register pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Lane(int r) => ((r >> 1) & 1) * 32 + ((r >> 2) * 2 + (r & 1)) * 8;

    /// <summary>True when the halves at <paramref name="halfOffsets"/> of every block of the rows are finite (the kernels widen
    /// halves with integer operations that have no infinities); a tensor with any other stays in its file layout.</summary>
    public static bool Finite(byte* w, nint rowBytes, int rows, int blocks, int blockBytes, ReadOnlySpan<int> halfOffsets)
    {
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < blocks; i++)
            {
                var block = w + r * rowBytes + i * blockBytes;
                foreach (var offset in halfOffsets)
                    if ((Unsafe.ReadUnaligned<ushort>(block + offset) & HalfBits.InfinityBits) == HalfBits.InfinityBits) return false;
            }
        return true;
    }

    /// <summary>Eight finite halves as floats (<see cref="HalfBits"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Halves(byte* p) =>
        HalfBits.Place(Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32((ushort*)p), 16)) * Vector256.Create(HalfBits.Rebias);
}
