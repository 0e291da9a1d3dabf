using Moxing.Core.Kernels;
using Moxing.Core.Tensors;
using Moxing.Models.Decoder;
using Moxing.Models.Layers;
using Moxing.Tests;

namespace Moxing.Models.Tests.Decoder;

/// <summary>The kernels read a GGUF's weight matrices where the file is mapped (what --low-memory relies on); copies are counted.</summary>
public sealed class MappedWeightsTests
{
    [Theory]
    [InlineData("llama-k256.Q4_K_M.gguf")]
    [InlineData("qwen2-tiny.F16.gguf")]
    [InlineData("gpt2-tiny.Q8_0.gguf")]
    public void Every_weight_matrix_of_a_gguf_is_the_files_own_mapped_tensor(string file)
    {
        using var model = ModelLoader.Load(Fixtures.Path("gguf", file));
        var matrices = model.RequireDecoder().Weights.Matrices.ToList();
        Assert.True(matrices.Count > model.RequireDecoder().Options.LayerCount * 2, $"{matrices.Count} matrices");
        Assert.All(matrices, m => Assert.Contains(m, model.Tensors, ReferenceEqualityComparer.Instance));
        Assert.Equal(0, model.CopiedWeightBytes);
    }

    [Fact]
    public void A_hugging_face_gpt2_folder_counts_its_transposed_conv1d_copies()
    {
        using var model = ModelLoader.Load(Fixtures.Path("hf", "models", "gpt2-tiny"));
        var o = model.RequireDecoder().Options;
        // Per layer c_attn, c_proj, c_fc and mlp c_proj are transposed to float32: (3 + 1 + 4 + 4) · hidden² values.
        Assert.Equal(o.LayerCount * 12L * o.HiddenSize * o.HiddenSize * sizeof(float), model.CopiedWeightBytes);
    }

    // Prefill of three tokens, one decode step, then two more tokens at once: the logits of all six.
    private static float[] PrefillDecodePrefill(DecoderModel model)
    {
        var vocab = model.Options.VocabSize;
        var pool = KvBlockPool.ForPositions(model.Options, DType.F16, 16);
        using var sequence = new SequenceKv(pool, 16);
        var scratch = model.CreateScratch(8);
        var logits = new float[6 * vocab];
        model.Forward([5, 17, 300], sequence, scratch, logits.AsSpan(0, 3 * vocab), allLogits: true);
        Assert.DoesNotContain(model.Weights.Linears, l => l.Repacked);
        model.Forward([42], sequence, scratch, logits.AsSpan(3 * vocab, vocab), allLogits: true);
        model.Forward([7, 900], sequence, scratch, logits.AsSpan(4 * vocab), allLogits: true);
        return logits;
    }

    [Theory]
    [InlineData("llama-k256.Q4_K_M.gguf", DType.Q4_K)]
    [InlineData("llama-k256.Q5_K_M.gguf", DType.Q5_K)]
    [InlineData("llama-k256.Q4_0.gguf", DType.Q4_0)]
    [InlineData("llama-k256.Q4_1.gguf", DType.Q4_1)]
    [InlineData("llama-k256.IQ4_NL.gguf", DType.IQ4_NL)]
    [InlineData("llama-k256.IQ4_XS.gguf", DType.IQ4_XS)]
    public void Projections_are_repacked_at_the_first_decode_step_unless_kept_in_the_files_layout(string file, DType type)
    {
        using var repacked = ModelLoader.Load(Fixtures.Path("gguf", file));
        using var kept = ModelLoader.Load(Fixtures.Path("gguf", file));
        foreach (var linear in kept.RequireDecoder().Weights.Linears) linear.Repack = false;
        var expected = PrefillDecodePrefill(kept.RequireDecoder());
        var actual = PrefillDecodePrefill(repacked.RequireDecoder());
        var vocab = kept.RequireDecoder().Options.VocabSize;
        // several tokens of a 256-weight format read the unpacked rows: the file's bytes exactly (the 32-weight formats' panels sum
        // the same integer products in another float order than the file's row kernels, so only the tolerance below holds for them)
        if (type is DType.Q4_K or DType.Q5_K or DType.IQ4_XS)
            Assert.True(expected.AsSpan(4 * vocab).SequenceEqual(actual.AsSpan(4 * vocab)), "tokens after the repack");
        var error = LogitErrors.RelativeMax(expected, actual);
        Assert.True(error <= 1e-5, $"max|Δ|/max|ref| = {error:E2}");
        Assert.DoesNotContain(kept.RequireDecoder().Weights.Linears, l => l.Repacked);
        var linears = repacked.RequireDecoder().Weights.Linears;
        Assert.Contains(linears, l => l.Weight.Type == type && l.Repacked);
        Assert.All(linears, l => Assert.Equal(Linear.Copies(l.Weight), l.Repacked));
        Assert.Equal(0, repacked.CopiedWeightBytes);
    }

    [Fact]
    public void Repack_copies_every_weight_with_a_faster_layout_before_any_step_and_changes_no_logit()
    {
        using var eager = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf"));
        using var lazy = ModelLoader.Load(Fixtures.Path("gguf", "llama-k256.Q4_K_M.gguf"));
        var weights = eager.RequireDecoder().Weights;
        var bytes = weights.Repack();
        var repackable = weights.Linears.Distinct().Where(l => Linear.Copies(l.Weight)).ToList();
        Assert.Contains(repackable, l => !RepackedMatrix.CanRepack(l.Weight)); // Q6_K: copied as stored
        Assert.NotEmpty(repackable);
        Assert.All(repackable, l => Assert.True(l.Repacked, l.Weight.Name));
        Assert.Equal(repackable.Sum(l => l.Weight.ByteLength), bytes);
        Assert.Equal(bytes, weights.Repack()); // already repacked: nothing copied again, the same bytes counted
        // the eager copies serve the first decode step exactly as the lazy ones made at it
        var vocab = eager.RequireDecoder().Options.VocabSize;
        var first = new float[vocab];
        var second = new float[vocab];
        foreach (var (model, logits) in new[] { (eager, first), (lazy, second) })
        {
            var decoder = model.RequireDecoder();
            var pool = KvBlockPool.ForPositions(decoder.Options, DType.F16, 16);
            using var sequence = new SequenceKv(pool, 16);
            decoder.Forward([42], sequence, decoder.CreateScratch(1), logits, allLogits: true);
        }
        Assert.Equal(second, first);
    }

    [Theory]
    [InlineData("qwen2-tiny.F16.gguf")]
    [InlineData("gpt2-tiny.Q8_0.gguf")]
    public void Memory_bound_weights_are_copied_as_stored_at_the_first_decode_step_and_change_no_logit(string file)
    {
        using var copied = ModelLoader.Load(Fixtures.Path("gguf", file));
        using var kept = ModelLoader.Load(Fixtures.Path("gguf", file));
        foreach (var linear in kept.RequireDecoder().Weights.Linears) linear.Repack = false;
        var expected = PrefillDecodePrefill(kept.RequireDecoder());
        var actual = PrefillDecodePrefill(copied.RequireDecoder());
        // the same kernels on the same bytes: the same bits
        Assert.Equal(expected, actual);
        var linears = copied.RequireDecoder().Weights.Linears.ToList();
        Assert.Contains(linears, l => Linear.CopiedAsStored(l.Weight.Type) && l.Repacked);
        // copies as stored serve their own bytes; matrices repacked into a faster layout (Q8_0's eight-row groups) keep
        // Weight as Served and are checked by RepackedMatrixTests
        foreach (var l in linears.Where(l => l.Repacked && !ReferenceEquals(l.Served, l.Weight)))
        {
            Assert.False(l.Served.Bytes.Overlaps(l.Weight.Bytes), l.Weight.Name);
            Assert.True(l.Served.Bytes.SequenceEqual(l.Weight.Bytes), l.Weight.Name);
        }
        Assert.All(kept.RequireDecoder().Weights.Linears, l => Assert.Same(l.Weight, l.Served));
    }
}
