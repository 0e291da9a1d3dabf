using Moxing.Models.Synthesis;
using Moxing.Tests;

namespace Moxing.Models.Tests.Encoder;

/// <summary>
/// Several inputs encoded in one pass (<see cref="Moxing.Models.Encoder.BertModel.EncodeMany"/>) give each input the hidden states it gets
/// alone: learned positions restart per input (bert-tiny), so do rotary ones (nomic-bert), and no input attends to another's tokens.
/// </summary>
public sealed class EncoderBatchTests : IDisposable
{
    private static readonly int[][] Inputs = [[2, 40, 50, 3], [2, 17, 900, 301, 5, 77, 1000, 12, 3, 8, 8, 8], [2, 3], [2, 11, 12, 13, 14, 15, 3]];
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-encoder-batch-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("F16", 1e-5)]
    [InlineData("Q8_0", 1e-4)]
    public void A_rotary_encoder_batch_equals_each_input_alone(string type, double tolerance)
    {
        var path = Path.Combine(_dir, $"tiny-nomic-bert.{type}.gguf");
        SyntheticModelWriter.Write(SynthShape.Find("tiny-nomic-bert")!, SynthFileType.Find(type)!, 11, path);
        using var model = ModelLoader.Load(path);
        AssertBatchEqualsAlone(model.RequireEncoder(), Inputs, tolerance);
    }

    [Fact]
    public void A_learned_position_encoder_batch_equals_each_input_alone()
    {
        using var model = ModelLoader.Load(Fixtures.Path("hf", "models", "bert-tiny"));
        var vocab = model.RequireEncoder().Options.VocabSize;
        AssertBatchEqualsAlone(model.RequireEncoder(), [.. Inputs.Select(ids => ids.Select(id => id % vocab).ToArray())], 1e-5);
    }

    [Fact]
    public void An_empty_input_in_a_batch_is_named()
    {
        using var model = ModelLoader.Load(Fixtures.Path("hf", "models", "bert-tiny"));
        var e = Assert.Throws<Core.MoxingException>(() => model.RequireEncoder().EncodeMany([[2, 3], []]));
        Assert.Contains("input 1 is empty", e.Message);
    }

    private static void AssertBatchEqualsAlone(Moxing.Models.Encoder.BertModel encoder, int[][] inputs, double tolerance)
    {
        var batch = encoder.EncodeMany(inputs);
        Assert.Equal(inputs.Length, batch.Length);
        for (var i = 0; i < inputs.Length; i++)
        {
            var alone = encoder.Encode(inputs[i]);
            Assert.Equal(alone.Length, batch[i].Length);
            Assert.True(LogitErrors.RelativeMax(alone, batch[i]) <= tolerance, $"input {i}: {LogitErrors.RelativeMax(alone, batch[i]):E2}");
        }
    }
}
