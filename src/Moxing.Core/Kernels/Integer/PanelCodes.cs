using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Moxing.Core.Kernels.Integer;

/// <summary>Activation codes as the panel tiles read them.</summary>
internal static unsafe class PanelCodes
{
    /// <summary>Four activation codes, broadcast to every row's lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<sbyte> Four(byte* p) => Vector256.Create(*(int*)p).AsSByte();
}
