using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Moxing.Core.IO;
using Moxing.Core.Kernels.Integer;
using Moxing.Core.Kernels.Repack;
using Moxing.Core.Quantization.Blocks;
using Moxing.Core.Tensors;
// the AVX2 panel products that the small-block layouts build their panels for
using Groups = Moxing.Core.Kernels.Integer.PanelProduct<Moxing.Core.Kernels.Integer.PanelTile<Moxing.Core.Kernels.Integer.Avx2PanelDot>,
    Moxing.Core.Kernels.Lanes.Avx2ByteLanes, System.Runtime.Intrinsics.Vector256<byte>, System.Runtime.Intrinsics.Vector256<int>,
    System.Runtime.Intrinsics.Vector256<float>>;
// a panel product over groups: (panel builder, groups, file row bytes, blocks, x, x row bytes, n, y, rows, row start, row end)
using unsafe GroupPanels = delegate*<delegate*<byte*, nint, int, int, int, byte*, void>, byte*, nint, int, byte*, nint, int, float*, int, int, int, void>;

namespace Moxing.Core.Kernels;

/// <summary>
/// A weight matrix copied once into a layout its products read faster than the file's, the same size as the file's bytes,
/// which it replaces: Q4_K and Q5_K rows interleaved eight at a time (<see cref="KRows8{F}"/>, as llama.cpp repacks Q4_K) or
/// Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL and IQ4_XS rows (<see cref="NibbleRows8{F}"/>) and Q8_0 rows (<see cref="ByteRows8"/>). One-token products (decoding) run the eight-row
/// kernels on it; products of several tokens (prefill, batches) unpack eight rows of a 256-weight format at a time from it for
/// the file-layout kernels (exactly the file's bytes; a few percent of a product of many tokens), or build the 32-weight
/// formats' panels from it directly.
/// </summary>
public sealed unsafe class RepackedMatrix
{
    private readonly Layout _layout;

    private RepackedMatrix(StoredTensor source, byte* data, int blocks, Layout layout)
    {
        Source = source;
        Data = data;
        Blocks = blocks;
        _layout = layout;
    }

    /// <summary>The matrix as stored in its file (shape, type and name; its bytes are not read any more).</summary>
    public StoredTensor Source { get; }

    /// <summary>The repacked bytes (owned by the arena given to <see cref="TryCreate"/>).</summary>
    internal byte* Data { get; }

    /// <summary>Rows per interleaved group, in every layout (the unit its products split between threads).</summary>
    internal const int GroupRows = 8;

    /// <summary>Blocks (256-weight super-blocks, or 32-weight blocks) per row.</summary>
    internal int Blocks { get; }

    /// <summary>Values per activation block its kernels read: Q8_K blocks for the 256-weight formats, Q8 blocks for the others.</summary>
    internal int ActivationBlockSize => _layout.BlockValues == 256 ? ActivationBlocks.Q8KSize : ActivationBlocks.Q8Size;

    /// <summary>True when <paramref name="w"/> has a faster layout on this processor (the eight-row kernels need AVX2 and FMA):
    /// a Q4_K, Q5_K, Q4_0, Q5_0, Q4_1, Q5_1, IQ4_NL, IQ4_XS or Q8_0 matrix of whole groups of eight rows.</summary>
    public static bool CanRepack(StoredTensor w) =>
        Avx2.IsSupported && Fma.IsSupported && w.Shape.Length == 2 && w.RowCount % GroupRows == 0 && Layout.For(w.Type) is { } layout
        && w.RowLength % layout.BlockValues == 0;

    /// <summary>
    /// Repacks <paramref name="w"/> into memory of <paramref name="arena"/> on the shared worker pool, or returns null when it
    /// has no faster layout (or holds an infinite or NaN scale). With <paramref name="releaseFilePages"/> — only for a tensor of a
    /// read-only file mapping — the file's pages leave the process's resident set, so a model's memory stays about its file's size.
    /// </summary>
    public static RepackedMatrix? TryCreate(StoredTensor w, TensorArena arena, bool releaseFilePages)
    {
        if (!CanRepack(w)) return null;
        var layout = Layout.For(w.Type)!;
        var rows = checked((int)w.RowCount);
        var blocks = checked((int)(w.RowLength / layout.BlockValues));
        var rowBytes = (nint)w.RowBytes;
        if (!layout.Finite(w.Data, rowBytes, rows, blocks)) return null;
        // every layout is the file's size
        var data = arena.Allocate(w.ByteLength);
        var job = new PackJob(w.Data, rowBytes, blocks, data, layout.Pack);
        WorkerPool.Shared.ParallelFor(rows / GroupRows, ref job);
        if (releaseFilePages) MappedPages.Release(w.Data, w.ByteLength);
        return new RepackedMatrix(w, data, blocks, layout);
    }

    /// <summary>y[8g .. 8g + 8) for groups g in [groupStart, groupEnd), x one row of activation blocks (the eight-row kernel; AVX2).</summary>
    internal void Rows(byte* x, float* y, int groupStart, int groupEnd)
    {
        var groupBytes = (nint)Blocks * _layout.GroupBlockBytes;
        for (var g = groupStart; g < groupEnd; g++)
            _layout.Group(Data + g * groupBytes, Blocks, x).Store(y + GroupRows * g);
    }

    /// <summary>True when products of several activation rows read this layout directly (as panels) rather than unpacked rows.</summary>
    internal bool HasPanels => _layout.Panels != null;

    /// <summary>y[t, r] for n activation rows and the rows of groups [groupStart, groupEnd), through panels built from the groups (AVX2).</summary>
    internal void Panels(byte* x, nint xStride, int n, float* y, int groupStart, int groupEnd) =>
        _layout.Panels(_layout.PackPanel, Data, (nint)Source.RowBytes, Blocks, x, xStride, n, y, checked((int)Source.RowCount),
            groupStart * GroupRows, groupEnd * GroupRows);

    /// <summary>Writes group <paramref name="g"/> back as the eight rows of the file's layout, at <paramref name="rows"/>, <paramref name="rowBytes"/> apart.</summary>
    internal void Unpack(int g, byte* rows, nint rowBytes) => _layout.Unpack(Data, Blocks, g, rows, rowBytes);

    // A layout's operations, chosen once per matrix by its type.
    private sealed class Layout
    {
        public required int BlockValues { get; init; }
        public required delegate*<byte*, nint, int, int, bool> Finite { get; init; }
        public required delegate*<byte*, nint, int, int, byte*, void> Pack { get; init; }
        public required delegate*<byte*, int, int, byte*, nint, void> Unpack { get; init; }
        public required int GroupBlockBytes { get; init; }
        public required delegate*<byte*, int, byte*, Vector256<float>> Group { get; init; }
        // a 32-weight format's panel builder and the panel product that takes it; null for the 256-weight formats (unpacked rows instead)
        public delegate*<byte*, nint, int, int, int, byte*, void> PackPanel { get; init; }
        public GroupPanels Panels { get; init; }

        private static readonly Layout Q4K = KNibbles<Q4KNibbles>();
        private static readonly Layout Q5K = KNibbles<Q5KNibbles>();
        private static readonly Layout Q4_0 = Nibbles<Q4_0Nibbles, Q4_0Block>();
        private static readonly Layout Q5_0 = Nibbles<Q5_0Nibbles, Q5_0Block>();
        private static readonly Layout Q4_1 = Nibbles<Q4_1Nibbles, Q4_1Block>();
        private static readonly Layout Q5_1 = Nibbles<Q5_1Nibbles, Q5_1Block>();
        private static readonly Layout Iq4Nl = Nibbles<Iq4NlNibbles, Iq4NlBlock>();
        private static readonly Layout Iq4Xs = Nibbles<Iq4XsNibbles>(null);
        private static readonly Layout Q8_0 = new()
        {
            BlockValues = 32,
            Finite = &ByteRows8.Finite,
            Pack = &ByteRows8.Pack,
            Unpack = &ByteRows8.Unpack,
            GroupBlockBytes = ByteRows8.BlockBytes,
            Group = &ByteRows8.Group,
            PackPanel = &ByteRows8.PackPanel,
            Panels = &Groups.RowsFromGroups<Q8_0Block>,
        };

        public static Layout? For(DType type) => type switch
        {
            DType.Q4_K => Q4K,
            DType.Q5_K => Q5K,
            DType.Q4_0 => Q4_0,
            DType.Q5_0 => Q5_0,
            DType.Q4_1 => Q4_1,
            DType.Q5_1 => Q5_1,
            DType.IQ4_NL => Iq4Nl,
            DType.IQ4_XS => Iq4Xs,
            DType.Q8_0 => Q8_0,
            _ => null,
        };

        private static Layout KNibbles<F>() where F : struct, IKNibbleFormat => new()
        {
            BlockValues = 256,
            Finite = &KRows8<F>.Finite,
            Pack = &KRows8<F>.Pack,
            Unpack = &KRows8<F>.Unpack,
            GroupBlockBytes = KRows8<F>.BlockBytes,
            Group = &KRows8Kernel<F>.Group,
        };

        private static Layout Nibbles<F, B>() where F : struct, INibbleFormat where B : struct, IQ8Dot => Nibbles<F>(&Groups.RowsFromGroups<B>);

        // a nibble format's layout, with the panel product of its small blocks (null for IQ4_XS's super-blocks)
        private static Layout Nibbles<F>(GroupPanels panels) where F : struct, INibbleFormat => new()
        {
            BlockValues = 32 * F.SubBlocks,
            Finite = &NibbleRows8<F>.Finite,
            Pack = &NibbleRows8<F>.Pack,
            Unpack = &NibbleRows8<F>.Unpack,
            GroupBlockBytes = NibbleRows8<F>.BlockBytes,
            Group = F.SubBlocks > 1 ? &NibbleRows8Kernel<F>.SuperGroup : &NibbleRows8Kernel<F>.Group,
            PackPanel = panels != null ? &NibbleRows8Kernel<F>.PackPanel : null,
            Panels = panels,
        };
    }

    private readonly struct PackJob(byte* w, nint rowBytes, int blocks, byte* dst, delegate*<byte*, nint, int, int, byte*, void> pack) : IParallelJob
    {
        public void Execute(int start, int end)
        {
            for (var g = start; g < end; g++) pack(w, rowBytes, blocks, g, dst);
        }
    }
}
