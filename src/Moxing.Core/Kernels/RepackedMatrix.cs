using Moxing.Core.IO;
using Moxing.Core.Kernels.Repack;
using Moxing.Core.Tensors;

namespace Moxing.Core.Kernels;

/// <summary>
/// A weight matrix copied once into a layout its products read faster than the file's: Q4_K rows interleaved eight at a
/// time (<see cref="Q4KRows8"/>, as llama.cpp repacks them), the same size as the file's bytes, which it replaces: one-token
/// products (decoding) run the eight-row kernel on it, and products of several tokens (prefill, batches) unpack eight rows at a
/// time from it for the file-layout kernels (exactly the file's bytes; a few percent of a product of many tokens).
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

    /// <summary>Super-blocks per row.</summary>
    internal int Blocks { get; }

    /// <summary>True when <paramref name="w"/> has a faster layout on this processor: a Q4_K matrix of whole groups of eight rows.</summary>
    public static bool CanRepack(StoredTensor w) =>
        Q4KRows8Kernel.IsSupported && w.Type == DType.Q4_K && w.Shape.Length == 2 && w.RowCount % Q4KRows8.Rows == 0 && w.RowLength % 256 == 0;

    /// <summary>
    /// Repacks <paramref name="w"/> into memory of <paramref name="arena"/> on the shared worker pool, or returns null when it
    /// has no faster layout (or holds an infinite or NaN scale). With <paramref name="releaseFilePages"/> — only for a tensor of a
    /// read-only file mapping — the file's pages leave the process's resident set, so a model's memory stays about its file's size.
    /// </summary>
    public static RepackedMatrix? TryCreate(StoredTensor w, TensorArena arena, bool releaseFilePages)
    {
        if (!CanRepack(w)) return null;
        var rows = checked((int)w.RowCount);
        var blocks = checked((int)(w.RowLength / 256));
        var rowBytes = (nint)w.RowBytes;
        if (!Q4KRows8.Finite(w.Data, rowBytes, rows, blocks)) return null;
        var data = arena.Allocate(Q4KRows8.Bytes(rows, blocks));
        var job = new PackJob(w.Data, rowBytes, blocks, data);
        WorkerPool.Shared.ParallelFor(rows / Q4KRows8.Rows, ref job);
        if (releaseFilePages) MappedPages.Release(w.Data, w.ByteLength);
        return new RepackedMatrix(w, data, blocks);
    }

    private readonly struct PackJob(byte* w, nint rowBytes, int blocks, byte* dst) : IParallelJob
    {
        public void Execute(int start, int end)
        {
            for (var g = start; g < end; g++) Q4KRows8.Pack(w, rowBytes, blocks, g, dst);
        }
    }
}
