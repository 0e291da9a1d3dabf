using Moxing.Models.Synthesis;
using Moxing.Server.Hosting;
using Moxing.Server.Models;
using Moxing.Text.Tokenization.Gguf;

namespace Moxing.Server.Tests;

/// <summary>
/// A synthetic Q8_0 GGUF of one shape with a word vocabulary, served with continuous batching (4 sequences at once, context
/// 256) by a server of its own: what the architecture serving tests run against.
/// </summary>
public sealed class SynthServedModel(string shape) : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("moxing-synth-serve-").FullName;
    private MoxingServer? _server;

    /// <summary>A client of the server (valid once <see cref="StartAsync"/> returns).</summary>
    public HttpClient Http { get; } = new();

    /// <summary>Writes the model and starts the server.</summary>
    public async Task StartAsync()
    {
        var synth = SynthShape.Find(shape)!;
        var path = Path.Combine(_folder, shape + ".gguf");
        SyntheticModelWriter.Write(synth, SynthFileType.Find("Q8_0")!, 2, path, WordVocabulary.Metadata(synth.Vocab));
        _server = await MoxingServer.StartAsync(new ServerOptions
        {
            Host = "127.0.0.1",
            Port = 0,
            Models = [path],
            ConsoleLogging = false,
            Manager = new ModelManagerOptions { Parallel = 4, Context = 256 },
        }, Engines.ContinuousBatching);
        Http.BaseAddress = _server.Address;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_server != null) await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
