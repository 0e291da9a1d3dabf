using Moxing.Inference.Generation;
using Moxing.Inference.Sampling;
using Moxing.Inference.Scheduling;
using Moxing.Inference.Sessions;
using Moxing.Models;
using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;

namespace Moxing.Inference.Tests.Scheduling;

/// <summary>A synthetic model written to a folder of its own and loaded for scheduler tests, and the greedy replies requests get alone.</summary>
internal sealed class SynthSchedulingModel : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-scheduling-").FullName;
    private readonly LoadedModel _loaded;

    /// <summary>Writes shape <paramref name="shape"/> as file type <paramref name="type"/> (weights from seed 5) and loads it.</summary>
    public SynthSchedulingModel(string shape, string type)
    {
        var path = Path.Combine(_dir, shape + ".gguf");
        SyntheticModelWriter.Write(SynthShape.Find(shape)!, SynthFileType.Find(type)!, 5, path);
        _loaded = ModelLoader.Load(path);
    }

    /// <summary>The loaded decoder.</summary>
    public DecoderModel Decoder => _loaded.RequireDecoder();

    /// <summary>A greedy request for up to <paramref name="maxTokens"/> tokens after <paramref name="prompt"/>.</summary>
    public static GenerationRequest Greedy(int[] prompt, int maxTokens) => new()
    {
        PromptIds = prompt,
        Limits = new GenerationLimits(maxTokens, []),
        Sampling = SamplingOptions.Greedy,
    };

    /// <summary>The tokens <see cref="TokenGenerator"/> gives the request alone (the prompt prefilled in one call, 128 positions).</summary>
    public int[] Solo(GenerationRequest request)
    {
        var session = new InferenceSession(Decoder, 128);
        var ids = new List<int>();
        new TokenGenerator(session, new Sampler(request.Sampling, Decoder.Options.VocabSize))
            .Generate(request.PromptIds, request.Limits, id => { ids.Add(id); return true; });
        return [.. ids];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _loaded.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
