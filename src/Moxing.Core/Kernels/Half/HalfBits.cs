using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Moxing.Core.Kernels.Half;

/// <summary>A half's bits moved into a float's places with its exponent bias left at 15: the float is the half times
/// 2^-112, exactly (a half subnormal becomes a float subnormal of the same digits).</summary>
internal static unsafe class HalfBits
{
    /// <summary>The bits of a half below its sign.</summary>
    public const int Magnitude = 0x7FFF;

    /// <summary>The smallest magnitude of an infinity or NaN.</summary>
    public const int InfinityBits = 0x7C00;

    /// <summary>2^112: a float the Place methods give times this is the half's value.</summary>
    public const float Rebias = 5.192296858534828e33f;

    // a sign-extended half shifted left by 13 has its exponent and mantissa in a float's places (bits 27..13) and copies of its
    // sign in bits 31..28; the mask keeps bit 31 of them
    private const int Kept = unchecked((int)0x8FFFFFFF);

    /// <summary>Sign-extended halves in each 32-bit lane as floats of value half · 2^-112.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Place(Vector512<int> wide) => (Vector512.ShiftLeft(wide, 13) & Vector512.Create(Kept)).AsSingle();

    /// <inheritdoc cref="Place(Vector512{int})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Place(Vector256<int> wide) => (Vector256.ShiftLeft(wide, 13) & Vector256.Create(Kept)).AsSingle();

    /// <summary>Eight finite halves at <paramref name="p"/> as floats (exact; the eight-row weight layouts' scales).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Eight(byte* p) =>
        Place(Avx2.ConvertToVector256Int32((short*)p)) * Vector256.Create(Rebias);

    /// <summary>True when the halves at <paramref name="offsets"/> of every block of the rows are finite — the condition of
    /// <see cref="Eight"/>, whose integer operations have no infinities (a tensor with any other keeps its file layout).</summary>
    public static bool AllFinite(byte* w, nint rowBytes, int rows, int blocks, int blockBytes, ReadOnlySpan<int> offsets)
    {
        for (var r = 0; r < rows; r++)
            for (var i = 0; i < blocks; i++)
                foreach (var offset in offsets)
                    if ((Unsafe.ReadUnaligned<ushort>(w + r * rowBytes + i * blockBytes + offset) & InfinityBits) == InfinityBits) return false;
        return true;
    }

    /// <summary>One half's bits as a float of value half · 2^-112.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Place(ushort half) => BitConverter.Int32BitsToSingle(((short)half << 13) & Kept);
}
