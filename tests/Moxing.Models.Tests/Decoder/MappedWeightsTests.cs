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
}
