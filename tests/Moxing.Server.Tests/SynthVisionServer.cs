using Moxing.Models.Synthesis;
using Moxing.Models.Vision;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Server.Tests;

/// <summary>A server of a synth shape (F16, a word vocabulary with its projector's image tokens) and its synth mmproj, written into a folder.</summary>
internal static class SynthVisionServer
{
    /// <summary>Writes <paramref name="model"/> and its <paramref name="kind"/> projector into <paramref name="folder"/> and serves them (2 slots, 256 positions).</summary>
    public static Task<MoxingServer> StartAsync(string folder, string model, VisionProjector kind)
    {
        var shape = SynthShape.Find(model)!;
        var path = Path.Combine(folder, model + ".gguf");
        SyntheticModelWriter.Write(shape, SynthFileType.Find("F16")!, 2, path, WordVocabulary.Metadata(shape.Vocab, ImagePrompt.VocabularyTokens(kind)));
        var projector = Path.Combine(folder, "mmproj-" + model + ".gguf");
        SyntheticProjector.Write(kind, shape.Hidden, 2).Write(projector);
        return MoxingServer.StartAsync(new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [path],
            Projector = projector,
            ConsoleLogging = false,
            Manager = new ModelManagerOptions { Parallel = 2, Context = 256 },
        }, Engines.ContinuousBatching);
    }
}
