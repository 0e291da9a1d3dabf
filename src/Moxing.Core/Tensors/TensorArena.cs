using System.Runtime.InteropServices;

namespace Moxing.Core.Tensors;

/// <summary>Native memory for tensors a loader has to build (e.g. a transposed copy); freed all at once on dispose.</summary>
public sealed unsafe class TensorArena : IDisposable
{
    private readonly List<nint> _blocks = [];

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

    /// <summary>Uninitialized native memory of <paramref name="bytes"/> bytes (64-byte aligned) owned by this arena.</summary>
    public byte* Allocate(long bytes)
    {
        var p = NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), 64);
        lock (_blocks) _blocks.Add((nint)p);
        return (byte*)p;
    }

    /// <summary>Frees every tensor of the arena.</summary>
    public void Dispose()
    {
        lock (_blocks)
        {
            foreach (var p in _blocks) NativeMemory.AlignedFree((void*)p);
            _blocks.Clear();
        }
    }
}
