using Moxing.Models.Decoder;

namespace Moxing.Inference.Evaluation;

/// <summary>
/// Writes the activations entering every weight-matrix product, in call order, to a folder: file NNNN-WEIGHT.bin holds four
/// little-endian int32 dimensions as ggml orders them (columns, rows, 1, 1), then the float32 values row by row — the layout
/// scripts/llama-tensor-dump.cpp writes llama.cpp's graph tensors in, so scripts/compare-activations.py can pair them.
/// </summary>
/// <param name="folder">The folder to write to (created if missing).</param>
public sealed class ActivationDump(string folder) : IMatMulObserver
{
    private readonly string _folder = Directory.CreateDirectory(folder).FullName;

    /// <summary>How many products have been written.</summary>
    public int Count { get; private set; }

    /// <inheritdoc />
    public void Observe(string weightName, ReadOnlySpan<float> input, int rows)
    {
        var name = string.Concat(weightName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_'));
        Write(Path.Combine(_folder, $"{Count++:D4}-{name}.bin"), input, input.Length / rows, rows);
    }

    /// <summary>Writes <paramref name="values"/> ([<paramref name="rows"/>, <paramref name="columns"/>]) to <paramref name="path"/> in the dump's layout.</summary>
    public static void Write(string path, ReadOnlySpan<float> values, int columns, int rows)
    {
        using var writer = new BinaryWriter(File.Create(path));
        foreach (var dimension in (ReadOnlySpan<int>)[columns, rows, 1, 1]) writer.Write(dimension);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
    }
}
