using Moxing.Core.Quantization.Blocks;

namespace Moxing.Core.Kernels.Integer;

/// <summary>
/// The panel multiply one (row, token) at a time: the reference every vector panel tile equals bit for bit. Per block,
/// the exact integer dot product is scaled by d·dx and added with one fused multiply-add, then the offset (or minimum)
/// term with another, in block order.
/// </summary>
internal readonly unsafe struct ScalarPanelTile : IPanelTile
{
    public static void Small<F>(byte* panel, int blocks, byte* x, nint xStride, int tokens, float* y, nint yStride, int count) where F : struct, IQ8Dot
    {
        for (var t = 0; t < tokens; t++)
            for (var r = 0; r < count; r++)
            {
                var acc = 0f;
                for (var b = 0; b < blocks; b++)
                {
                    var p = panel + (nint)b * Panel.SmallBytes;
                    var xb = x + t * xStride + (nint)b * ActivationBlocks.Q8Bytes;
                    var sum = Codes(p, r, (sbyte*)(xb + ActivationBlocks.Q8Codes), 8, F.SignedCodes);
                    acc = MathF.FusedMultiplyAdd(sum, ((float*)(p + Panel.SmallScale))[r] * *(float*)xb, acc);
                    if (F.HasOffset)
                        acc = MathF.FusedMultiplyAdd(((float*)(p + Panel.SmallOffset))[r], *(float*)(xb + 4), acc);
                }
                y[t * yStride + r] = acc;
            }
    }

    public static void Super<F>(byte* panel, int blocks, byte* x, nint xStride, int tokens, float* y, nint yStride, int count) where F : struct, IQ8KDot
    {
        for (var t = 0; t < tokens; t++)
            for (var r = 0; r < count; r++)
            {
                var acc = 0f;
                for (var b = 0; b < blocks; b++)
                {
                    var p = panel + (nint)b * Panel.SuperBytes;
                    var xb = x + t * xStride + (nint)b * ActivationBlocks.Q8KBytes;
                    var sums = (short*)(xb + ActivationBlocks.Q8KSums);
                    int sum = 0, own = 0;
                    for (var h = 0; h < 16; h++)
                    {
                        var group = Codes(p + 128 * h, r, (sbyte*)(xb + ActivationBlocks.Q8KCodes + 16 * h), 4, false);
                        sum += group * ((int*)(p + Panel.SuperScales))[Panel.Rows * h + r];
                        var lane = 2 * Panel.Rows * (h / 2) + 2 * r + h % 2;
                        sum += ((short*)(p + Panel.SuperSameMins))[lane] * sums[h];
                        own += ((short*)(p + Panel.SuperOwnMins))[lane] * sums[h];
                    }
                    var dx = *(float*)xb;
                    acc = MathF.FusedMultiplyAdd(sum, ((float*)(p + Panel.SuperScale))[r] * dx, acc);
                    if (F.Mins == KMins.OwnScale)
                        acc = MathF.FusedMultiplyAdd(own, ((float*)(p + Panel.SuperOwnScale))[r] * dx, acc);
                }
                y[t * yStride + r] = acc;
            }
    }

    // Σ over `vectors` groups of four codes of row r (lane r of each panel vector, bytes or `signed` bytes) times the activation codes.
    private static int Codes(byte* p, int r, sbyte* x, int vectors, bool signed)
    {
        var sum = 0;
        for (var g = 0; g < vectors; g++)
            for (var j = 0; j < 4; j++)
                sum += (signed ? (sbyte)p[32 * g + 4 * r + j] : p[32 * g + 4 * r + j]) * x[4 * g + j];
        return sum;
    }
}
