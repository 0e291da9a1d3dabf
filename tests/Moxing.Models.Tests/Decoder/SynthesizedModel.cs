using Moxing.Models.Decoder;
using Moxing.Models.Synthesis;

namespace Moxing.Models.Tests.Decoder;

/// <summary>A synthetic GGUF of a known shape written to a folder of its own and loaded: what the architecture tests run on.</summary>
public sealed class SynthesizedModel : IDisposable
{
    /// <summary>Writes shape <paramref name="shape"/> as <paramref name="type"/> with weights from <paramref name="seed"/>, and loads it.</summary>
    public SynthesizedModel(string shape, string type, int seed)
    {
        Shape = SynthShape.Find(shape)!;
        Path = System.IO.Path.Combine(Folder, shape + ".gguf");
        SyntheticModelWriter.Write(Shape, SynthFileType.Find(type)!, seed, Path);
        Loaded = ModelLoader.Load(Path);
    }

    /// <summary>The shape written.</summary>
    public SynthShape Shape { get; }

    /// <summary>The folder holding the file (and whatever copies a test writes beside it).</summary>
    public string Folder { get; } = Directory.CreateTempSubdirectory("moxing-synth-").FullName;

    /// <summary>The GGUF file.</summary>
    public string Path { get; }

    /// <summary>The loaded model.</summary>
    public LoadedModel Loaded { get; }

    /// <summary>Its decoder.</summary>
    public DecoderModel Model => Loaded.RequireDecoder();

    /// <inheritdoc />
    public void Dispose()
    {
        Loaded.Dispose();
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>Tests over one <see cref="SynthesizedModel"/>, written and loaded for each test and removed after it.</summary>
public abstract class SynthesizedModelTests(string shape, string type, int seed) : IDisposable
{
    /// <summary>The model under test.</summary>
    protected SynthesizedModel Synth { get; } = new(shape, type, seed);

    /// <summary>Its shape.</summary>
    protected SynthShape Shape => Synth.Shape;

    /// <summary>Its decoder.</summary>
    protected DecoderModel Model => Synth.Model;

    /// <summary>Its vocabulary size.</summary>
    protected int Vocab => Model.Options.VocabSize;

    /// <summary>The logits of the last chunk's tokens, the chunks run alone (<see cref="DecoderChecks.Alone(DecoderModel, int[][])"/>).</summary>
    protected float[] Alone(params int[][] chunks) => DecoderChecks.Alone(Model, chunks);

    /// <inheritdoc />
    public void Dispose()
    {
        Synth.Dispose();
        GC.SuppressFinalize(this);
    }
}
