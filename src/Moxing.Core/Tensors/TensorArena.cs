using System.Runtime.InteropServices;
using Moxing.Core.IO;
using Moxing.Core.Kernels;

namespace Moxing.Core.Tensors;

/// <summary>
/// Native memory for tensors a loader has to build (a repacked layout, a transposed copy); freed all at once on dispose.
/// Blocks are aligned to huge pages and advised to use them (<see cref="MappedPages.PreferHugePages"/>); tensors smaller than
/// a huge page share slabs, so that they too sit in huge pages.
/// </summary>
public sealed unsafe class TensorArena : IDisposable
{
    private const long SlabBytes = 8L * MappedPages.HugePageBytes;
    private readonly List<nint> _blocks = [];
    private byte* _slab;
    private long _slabUsed;

    /// <summary>A new zeroed float32 tensor of <paramref name="shape"/> (outermost first) owned by this arena.</summary>
    public StoredTensor AllocateF32(string name, params long[] shape)
    {
        long count = 1;
        foreach (var d in shape) count = checked(count * d);
        var bytes = checked(count * sizeof(float));
        var p = Allocate(bytes);
        NativeMemory.Clear(p, (nuint)bytes);
        return new StoredTensor(name, DType.F32, shape, p, bytes);
    }

    /// <summary>A copy of <paramref name="t"/>'s bytes (same name, type and shape) in this arena, copied on the shared worker pool;
    /// with <paramref name="releaseFilePages"/> — only for a tensor of a read-only file mapping — the file's pages then leave
    /// the process's resident set.</summary>
    public StoredTensor Copy(StoredTensor t, bool releaseFilePages)
    {
        var p = Allocate(t.ByteLength);
        var job = new CopyJob(t.Data, p, t.ByteLength);
        WorkerPool.Shared.ParallelFor(checked((int)((t.ByteLength + CopyJob.ChunkBytes - 1) / CopyJob.ChunkBytes)), ref job);
        if (releaseFilePages) MappedPages.Release(t.Data, t.ByteLength);
        return new StoredTensor(t.Name, t.Type, t.Shape, p, t.ByteLength);
    }

    /// <summary>Uninitialized native memory of <paramref name="bytes"/> bytes (64-byte aligned) owned by this arena.</summary>
    public byte* Allocate(long bytes)
    {
        bytes = Math.Max(bytes, 1);
        lock (_blocks)
        {
            if (bytes >= MappedPages.HugePageBytes) return Block(bytes);
            var offset = (_slabUsed + 63) & ~63L;
            if (_slab == null || offset + bytes > SlabBytes)
            {
                _slab = Block(SlabBytes);
                offset = 0;
            }
            _slabUsed = offset + bytes;
            return _slab + offset;
        }
    }

    // A block of its own, huge-page aligned and advised (callers hold the lock).
    private byte* Block(long bytes)
    {
        var p = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, MappedPages.HugePageBytes);
        _blocks.Add((nint)p);
        MappedPages.PreferHugePages(p, bytes);
        return p;
    }

    /// <summary>Frees every tensor of the arena.</summary>
    public void Dispose()
    {
        lock (_blocks)
        {
            foreach (var p in _blocks) NativeMemory.AlignedFree((void*)p);
            _blocks.Clear();
            _slab = null;
        }
    }

    private readonly struct CopyJob(byte* from, byte* to, long bytes) : IParallelJob
    {
        public const long ChunkBytes = 1 << 20;

        public void Execute(int start, int end)
        {
            var first = start * ChunkBytes;
            var last = Math.Min(end * ChunkBytes, bytes);
            Buffer.MemoryCopy(from + first, to + first, last - first, last - first);
        }
    }
}
