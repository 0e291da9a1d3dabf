using Moxing.Core.IO;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Repack;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;
// the AVX2 panel products that the small-block layouts build their panels for
using Groups = Moxing.Core.Kernels.Integer.PanelProduct<Moxing.Core.Kernels.Integer.PanelTile<Moxing.Core.Kernels.Integer.Avx2PanelDot>,
    Moxing.Core.Kernels.Lanes.Avx2ByteLanes, System.Runtime.Intrinsics.Vector256<byte>, System.Runtime.Intrinsics.Vector256<int>,
    System.Runtime.Intrinsics.Vector256<float>>;

namespace Moxing.Core.Kernels;

/// <summary>
/// A weight matrix copied once into a layout its products read faster than the file's, the same size as the file's bytes,
/// which it replaces: Q4_K rows interleaved eight at a time (<see cref="Q4KRows8"/>, as llama.cpp repacks them) or Q4_0 and
/// Q5_0 rows (<see cref="NibbleRows8{F}"/>). One-token products (decoding) run the eight-row kernels on it; products of several
/// tokens (prefill, batches) unpack eight Q4_K rows at a time from it for the file-layout kernels (exactly the file's bytes; a
/// few percent of a product of many tokens), or build Q4_0/Q5_0 panels from it directly.
/// </summary>
public sealed unsafe class RepackedMatrix
{
    private RepackedMatrix(StoredTensor source, byte* data, int blocks)
    {
        Source = source;
        Data = data;
        Blocks = blocks;
    }

    /// <summary>The matrix as stored in its file (shape, type and name; its bytes are not read any more).</summary>
    public StoredTensor Source { get; }

    /// <summary>The repacked bytes (owned by the arena given to <see cref="TryCreate"/>).</summary>
    internal byte* Data { get; }

    /// <summary>Rows per interleaved group, in every layout (the unit its products split between threads).</summary>
    internal const int GroupRows = 8;

    /// <summary>Blocks (Q4_K super-blocks, Q4_0/Q5_0 blocks) per row.</summary>
    internal int Blocks { get; }

    /// <summary>Values per activation block its kernels read: Q8_K blocks for Q4_K, Q8 blocks for Q4_0/Q5_0.</summary>
    internal int ActivationBlockSize => Source.Type == DType.Q4_K ? ActivationBlocks.Q8KSize : ActivationBlocks.Q8Size;

    /// <summary>True when <paramref name="w"/> has a faster layout on this processor: a Q4_K, Q4_0 or Q5_0 matrix of whole groups of eight rows.</summary>
    public static bool CanRepack(StoredTensor w) =>
        Q4KRows8Kernel.IsSupported && w.Shape.Length == 2 && w.RowCount % GroupRows == 0
        && (w.Type == DType.Q4_K && w.RowLength % 256 == 0 || w.Type is DType.Q4_0 or DType.Q5_0);

    /// <summary>
    /// Repacks <paramref name="w"/> into memory of <paramref name="arena"/> on the shared worker pool, or returns null when it
    /// has no faster layout (or holds an infinite or NaN scale). With <paramref name="releaseFilePages"/> — only for a tensor of a
    /// read-only file mapping — the file's pages leave the process's resident set, so a model's memory stays about its file's size.
    /// </summary>
    public static RepackedMatrix? TryCreate(StoredTensor w, TensorArena arena, bool releaseFilePages)
    {
        if (!CanRepack(w)) return null;
        var rows = checked((int)w.RowCount);
        var type = w.Type;
        var blocks = checked((int)(w.RowLength / (type == DType.Q4_K ? 256 : 32)));
        var rowBytes = (nint)w.RowBytes;
        var finite = type switch
        {
            DType.Q4_K => Q4KRows8.Finite(w.Data, rowBytes, rows, blocks),
            DType.Q4_0 => NibbleRows8<Q4_0Nibbles>.Finite(w.Data, rowBytes, rows, blocks),
            _ => NibbleRows8<Q5_0Nibbles>.Finite(w.Data, rowBytes, rows, blocks),
        };
        if (!finite) return null;
        // every layout is the file's size
        var data = arena.Allocate(w.ByteLength);
        var job = new PackJob(w.Data, rowBytes, blocks, data, type);
        WorkerPool.Shared.ParallelFor(rows / GroupRows, ref job);
        if (releaseFilePages) MappedPages.Release(w.Data, w.ByteLength);
        return new RepackedMatrix(w, data, blocks);
    }

    /// <summary>y[8g .. 8g + 8) for groups g in [groupStart, groupEnd), x one row of activation blocks (the eight-row kernel; AVX2).</summary>
    internal void Rows(byte* x, float* y, int groupStart, int groupEnd)
    {
        switch (Source.Type)
        {
            case DType.Q4_K:
                Q4KRows8Kernel.Rows(Data, Blocks, x, y, groupStart, groupEnd);
                break;
            case DType.Q4_0:
                NibbleRows8Kernel<Q4_0Nibbles>.Rows(Data, Blocks, x, y, groupStart, groupEnd);
                break;
            default:
                NibbleRows8Kernel<Q5_0Nibbles>.Rows(Data, Blocks, x, y, groupStart, groupEnd);
                break;
        }
    }

    /// <summary>True when products of several activation rows read this layout directly (as panels) rather than unpacked rows.</summary>
    internal bool HasPanels => Source.Type != DType.Q4_K;

    /// <summary>y[t, r] for n activation rows and the rows of groups [groupStart, groupEnd), through panels built from the groups (AVX2).</summary>
    internal void Panels(byte* x, nint xStride, int n, float* y, int groupStart, int groupEnd)
    {
        int rows = checked((int)Source.RowCount), first = groupStart * GroupRows, last = groupEnd * GroupRows;
        var rowBytes = (nint)Source.RowBytes;
        if (Source.Type == DType.Q4_0)
            Groups.RowsFromGroups<Q4_0Block>(&NibbleRows8Kernel<Q4_0Nibbles>.PackPanel, Data, rowBytes, Blocks, x, xStride, n, y, rows, first, last);
        else
            Groups.RowsFromGroups<Q5_0Block>(&NibbleRows8Kernel<Q5_0Nibbles>.PackPanel, Data, rowBytes, Blocks, x, xStride, n, y, rows, first, last);
    }

    /// <summary>Writes group <paramref name="g"/> back as the eight rows of the file's layout, at <paramref name="rows"/>, <paramref name="rowBytes"/> apart.</summary>
    internal void Unpack(int g, byte* rows, nint rowBytes)
    {
        switch (Source.Type)
        {
            case DType.Q4_K:
                Q4KRows8.Unpack(Data, Blocks, g, rows, rowBytes);
                break;
            case DType.Q4_0:
                NibbleRows8<Q4_0Nibbles>.Unpack(Data, Blocks, g, rows, rowBytes);
                break;
            default:
                NibbleRows8<Q5_0Nibbles>.Unpack(Data, Blocks, g, rows, rowBytes);
                break;
        }
    }

    private readonly struct PackJob(byte* w, nint rowBytes, int blocks, byte* dst, DType type) : IParallelJob
    {
        public void Execute(int start, int end)
        {
            for (var g = start; g < end; g++)
            {
                if (type == DType.Q4_K) Q4KRows8.Pack(w, rowBytes, blocks, g, dst);
                else if (type == DType.Q4_0) NibbleRows8<Q4_0Nibbles>.Pack(w, rowBytes, blocks, g, dst);
                else NibbleRows8<Q5_0Nibbles>.Pack(w, rowBytes, blocks, g, dst);
            }
        }
    }
}
