using System.Runtime.InteropServices;
using Moxing.Core.Tensors;

namespace Moxing.Core.Tests.Kernels;

/// <summary>A <see cref="StoredTensor"/> over a native copy of some bytes, as a memory-mapped file would provide.</summary>
internal sealed unsafe class NativeTensor : IDisposable
{
    private readonly byte* _data;

    public NativeTensor(DType type, int rows, int cols, byte[] bytes)
    {
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(1, bytes.Length), 64);
        bytes.CopyTo(new Span<byte>(_data, bytes.Length));
        Tensor = new StoredTensor("test.weight", type, [rows, cols], _data, bytes.Length);
    }

    public StoredTensor Tensor { get; }

    public void Dispose() => NativeMemory.AlignedFree(_data);
}
