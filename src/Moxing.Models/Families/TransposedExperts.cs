using Moxing.Core.Tensors;
using Moxing.Models.Layers;

namespace Moxing.Models.Families;

/// <summary>
/// Expert stacks that Hugging Face checkpoints store for x·W ([experts, in, out]: gpt-oss's and Llama 4's `gate_up_proj` and
/// `down_proj`) as the decoder's [experts, rows, in] stacks of output rows.
/// </summary>
public static class TransposedExperts
{
    /// <summary>
    /// <paramref name="name"/>, computed from <paramref name="t"/> [experts, cols, width]: row r of each expert is column
    /// <paramref name="first"/> + <paramref name="step"/>·r, for <paramref name="rows"/> rows, in the stored type (F32, F16 or BF16).
    /// </summary>
    public static unsafe DerivedTensor Rows(string name, StoredTensor t, int rows, int first, int step) =>
        new(name, t.Type, [t.Shape[0], rows, t.Shape[1]], [t.Name], target =>
        {
            var size = (int)t.Type.ByteCount(1);
            long experts = t.Shape[0], cols = t.Shape[1], width = t.Shape[2];
            byte* source = t.Data, output = (byte*)target;
            Parallel.For(0, experts * rows, row =>
            {
                long e = row / rows, r = row % rows;
                var from = source + (e * cols * width + r * step + first) * size;
                var to = output + row * cols * size;
                if (size == 2)
                    for (long c = 0; c < cols; c++) ((ushort*)to)[c] = ((ushort*)from)[c * width];
                else
                    for (long c = 0; c < cols; c++) ((uint*)to)[c] = ((uint*)from)[c * width];
            });
        });
}
