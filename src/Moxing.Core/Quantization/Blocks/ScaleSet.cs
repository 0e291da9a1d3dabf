using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Moxing.Core.Quantization.Blocks;

/// <summary>
/// Sixteen float scales of one super-block, computed together with 128-bit vectors (one multiply per group would
/// cost the K-quant decoders as much as their weights do); each is the same single product ggml computes.
/// </summary>
[InlineArray(16)]
internal struct ScaleSet
{
    private float _first;

    /// <summary>Lanes 0..7 become <c>low * codes[i]</c>, lanes 8..15 <c>high * codes[i]</c>, codes unsigned.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(Vector128<byte> codes, float low, float high)
    {
        var lower = Vector128.WidenLower(codes);
        var upper = Vector128.WidenUpper(codes);
        Store(0, Vector128.WidenLower(lower).AsInt32(), low);
        Store(4, Vector128.WidenUpper(lower).AsInt32(), low);
        Store(8, Vector128.WidenLower(upper).AsInt32(), high);
        Store(12, Vector128.WidenUpper(upper).AsInt32(), high);
    }

    /// <summary>Lane i becomes <c>factor * codes[i]</c>, codes signed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Set(Vector128<sbyte> codes, float factor)
    {
        var lower = Vector128.WidenLower(codes);
        var upper = Vector128.WidenUpper(codes);
        Store(0, Vector128.WidenLower(lower), factor);
        Store(4, Vector128.WidenUpper(lower), factor);
        Store(8, Vector128.WidenLower(upper), factor);
        Store(12, Vector128.WidenUpper(upper), factor);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(int at, Vector128<int> codes, float factor) =>
        (Vector128.Create(factor) * Vector128.ConvertToSingle(codes)).StoreUnsafe(ref this[at]);
}
