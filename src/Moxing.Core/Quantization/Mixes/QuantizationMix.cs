using Moxing.Core.Tensors;

namespace Moxing.Core.Quantization.Mixes;

/// <summary>A llama.cpp file type (<c>llama_ftype</c>): its name, the id stored as <c>general.file_type</c>, and its default tensor type.</summary>
public sealed record QuantizationMix(string Name, uint FileTypeId, DType DefaultType)
{
    /// <summary>The file types `moxing quantize --type` writes, as llama-quantize names them.</summary>
    public static IReadOnlyList<QuantizationMix> Known { get; } =
    [
        new("F32", 0, DType.F32), new("F16", 1, DType.F16), new("BF16", 32, DType.BF16),
        new("Q8_0", 7, DType.Q8_0), new("Q4_0", 2, DType.Q4_0), new("Q4_1", 3, DType.Q4_1),
        new("Q5_0", 8, DType.Q5_0), new("Q5_1", 9, DType.Q5_1),
        new("Q2_K", 10, DType.Q2_K), new("Q2_K_S", 21, DType.Q2_K),
        new("Q3_K_S", 11, DType.Q3_K), new("Q3_K_M", 12, DType.Q3_K), new("Q3_K_L", 13, DType.Q3_K),
        new("Q4_K_S", 14, DType.Q4_K), new("Q4_K_M", 15, DType.Q4_K),
        new("Q5_K_S", 16, DType.Q5_K), new("Q5_K_M", 17, DType.Q5_K),
        new("Q6_K", 18, DType.Q6_K), new("IQ4_NL", 25, DType.IQ4_NL), new("IQ4_XS", 30, DType.IQ4_XS),
    ];

    /// <summary>The mix called <paramref name="name"/> (case-insensitive; Q3_K, Q4_K and Q5_K mean their _M mixes, as in llama-quantize), or null.</summary>
    public static QuantizationMix? Find(string name)
    {
        var key = name.ToUpperInvariant() switch
        {
            "Q3_K" => "Q3_K_M",
            "Q4_K" => "Q4_K_M",
            "Q5_K" => "Q5_K_M",
            var other => other,
        };
        foreach (var mix in Known)
            if (mix.Name == key) return mix;
        return null;
    }

    /// <summary>
    /// general.file_type of a file whose tensors are <paramref name="written"/>: this mix's, except that a float conversion
    /// keeping MXFP4 experts is MOSTLY_MXFP4_MOE (38), as convert_hf_to_gguf.py marks a gpt-oss checkpoint.
    /// </summary>
    public uint FileTypeIdFor(IEnumerable<DType> written) => !IsQuantized && written.Contains(DType.MXFP4) ? 38u : FileTypeId;

    /// <summary>Q2_K_S: llama-quantize refuses it without an importance matrix.</summary>
    public bool RequiresImportance => FileTypeId == 21;

    /// <summary>True for the per-tensor-type mixes (block types); false for F32/F16/BF16, which convert every weight matrix alike.</summary>
    public bool IsQuantized => !DefaultType.IsPlain();
}
