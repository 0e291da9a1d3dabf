using Moxing.Core;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Training.Data;

namespace Moxing.Training.Distillation;

/// <summary>A decoder LLM Moxing runs (model folder or GGUF) as the teacher of a GPT student over the same token ids.</summary>
public sealed class DecoderTeacher(LoadedModel model) : ITeacher
{
    /// <inheritdoc />
    public string Description => $"the model {model.Path}";

    /// <summary>The teacher's vocabulary size.</summary>
    public int VocabularySize => model.RequireDecoder().Options.VocabSize;

    /// <inheritdoc />
    public float[] Logits(Batch batch)
    {
        var decoder = model.RequireDecoder();
        if (batch.InputShape.Length != 2) throw new MoxingException($"{Description} reads token windows [B, T]; the batch is [{string.Join(", ", batch.InputShape)}]");
        int rows = batch.InputShape[0], length = batch.InputShape[1], vocab = decoder.Options.VocabSize;
        var logits = new float[rows * length * vocab];
        var ids = new int[length];
        for (var r = 0; r < rows; r++)
        {
            for (var t = 0; t < length; t++) ids[t] = (int)batch.Inputs[r * length + t];
            new InferenceSession(decoder, length).PrefillAll(ids, logits.AsSpan(r * length * vocab, length * vocab));
        }
        return logits;
    }
}
