using System.Text.Json;
using Moxing.Cli.Benchmarks;
using Moxing.Core;
using Moxing.Training.Trainer;

namespace Moxing.Cli.Tests.Benchmarks;

/// <summary>`moxing bench train --against`: reading a peer's figures (scripts/bench-train-pytorch.py's JSON) and the side-by-side table.</summary>
public sealed class TrainingBenchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-trainbench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // As scripts/bench-train-pytorch.py prints it (rates and blas are extra fields the reader ignores).
    private const string PyTorchJson = """
        {
          "engine": "PyTorch", "version": "1.13.0a0", "threads": 2, "interop_threads": 2,
          "blas": "/usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3", "repetitions": 3, "warmup": 1,
          "results": [
            {"model": "digits-cnn", "parameters": 13706, "batch_size": 32, "steps": 20, "samples_per_second": 400.0,
             "rates": [390.0, 400.0, 410.0], "user_cpu_ms_per_step": 12.0},
            {"model": "names-gpt", "parameters": 107000, "batch_size": 32, "steps": 20, "samples_per_second": 50.0,
             "rates": [50.0, 50.0, 50.0], "user_cpu_ms_per_step": 1200.0}
          ]
        }
        """;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static readonly ThroughputResult[] Ours =
    [
        new("digits-cnn", "lenet, 1×8×8", 13_706, 32, 20, [100, 300, 200], [5, 7, 6], 4),
        new("names-gpt", "d64, 2 layers, 48 tokens", 107_008, 32, 20, [80, 60, 70], [900, 1100, 1000], 4),
        new("extra", "not measured by the peer", 10, 32, 20, [1, 1, 1], [1, 1, 1], 4),
    ];

    [Fact]
    public void TableShowsMediansOfBothEnginesTheRatioAndWhatIsNotLikeForLike()
    {
        var peer = TrainingPeer.Read(Write("pytorch.json", PyTorchJson));
        var output = new StringWriter();
        TrainingBench.WriteTable(output, Ours, 2, peer);
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries);
        Assert.StartsWith("samples/s: median of 3 repetitions of 20 steps after warm-up; Moxing 2 threads, PyTorch 1.13.0a0 2 threads (", lines[0]);
        Assert.Contains("| Moxing samples/s | PyTorch samples/s | Moxing ÷ PyTorch | Moxing CPU ms/step | PyTorch CPU ms/step |", lines[1]);
        Assert.Contains("| digits-cnn (lenet, 1×8×8) | 13,706 | 32 | 200.0 | 400.0 | 0.50× | 6.0 | 12.0 |", lines);
        Assert.Contains("| names-gpt (d64, 2 layers, 48 tokens) | 107,008 | 32 | 70.0 | 50.0 | 1.40× | 1,000.0 | 1,200.0 |", lines);
        Assert.Contains("| extra (not measured by the peer) | 10 | 32 | 1.0 | – | – | 1.0 | – |", lines);
        Assert.Contains("warning: names-gpt: PyTorch's model has 107,000 parameters, ours 107,008: not the same model", lines);
        Assert.Contains(lines, l => l.StartsWith("warning: ") && l.EndsWith("has no result for extra"));
        Assert.DoesNotContain(lines, l => l.Contains("threads and Moxing"));
    }

    [Fact]
    public void JsonCarriesThePeerFiguresAndTheRatioAndWarnsOfAnotherThreadCount()
    {
        var peer = TrainingPeer.Read(Write("pytorch.json", PyTorchJson));
        var output = new StringWriter();
        JsonOutput.Write(output, w => TrainingBench.WriteJson(w, Ours[..1], 4, peer));
        using var doc = JsonDocument.Parse(output.ToString());
        var root = doc.RootElement;
        Assert.Equal("PyTorch", root.GetProperty("peer").GetProperty("engine").GetString());
        var cnn = root.GetProperty("results")[0];
        Assert.Equal(200, cnn.GetProperty("samples_per_second").GetDouble());
        Assert.Equal(400, cnn.GetProperty("peer").GetProperty("samples_per_second").GetDouble());
        Assert.Equal(0.5, cnn.GetProperty("ratio").GetDouble());
        Assert.Equal(6, cnn.GetProperty("user_cpu_ms_per_step").GetDouble());
        var warning = Assert.Single(root.GetProperty("warnings").EnumerateArray()).GetString();
        Assert.Equal("PyTorch ran with 2 threads and Moxing with 4: the ratios compare different thread counts", warning);
    }

    [Fact]
    public void TableWithoutAPeerSaysHowToGetOne()
    {
        var output = new StringWriter();
        TrainingBench.WriteTable(output, Ours[..1], 2, null);
        var text = output.ToString();
        Assert.Contains("| digits-cnn (lenet, 1×8×8) | 13,706 | 32 | 200.0 | 6.0 |", text);
        Assert.Contains(TrainingBench.PeerHint, text);
    }

    [Theory]
    [InlineData("{ \"engine\": ", "not JSON")]
    [InlineData("[1, 2]", "expected a JSON object, found Array")]
    [InlineData("{\"threads\": 2, \"results\": []}", "engine must be a non-empty string")]
    [InlineData("{\"engine\": \"PyTorch\", \"threads\": 0, \"results\": []}", "threads must be a positive whole number")]
    [InlineData("{\"engine\": \"PyTorch\", \"threads\": 2, \"results\": []}", "no \"results\" array of models")]
    [InlineData("{\"engine\": \"PyTorch\", \"threads\": 2, \"results\": [{\"parameters\": 5, \"samples_per_second\": 1}]}", "results[0].model must be a non-empty string")]
    [InlineData("{\"engine\": \"PyTorch\", \"threads\": 2, \"results\": [{\"model\": \"m\", \"parameters\": 5, \"samples_per_second\": -1}]}", "results[0].samples_per_second must be a positive number")]
    [InlineData("{\"engine\": \"PyTorch\", \"threads\": 2, \"results\": [{\"model\": \"m\", \"parameters\": 1.5, \"samples_per_second\": 1}]}", "results[0].parameters must be a positive whole number")]
    [InlineData("{\"engine\": \"PyTorch\", \"threads\": 2, \"results\": [{\"model\": \"m\", \"parameters\": 5, \"samples_per_second\": 1}, {\"model\": \"m\", \"parameters\": 5, \"samples_per_second\": 1}]}", "results[1]: model 'm' appears twice")]
    public void BadPeerFileIsAnErrorNamingTheFileAndTheProblem(string text, string problem)
    {
        var path = Write("bad.json", text);
        var e = Assert.Throws<MoxingException>(() => TrainingPeer.Read(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void MissingPeerFileSaysHowToWriteIt()
    {
        var path = Path.Combine(_dir, "absent.json");
        var e = Assert.Throws<MoxingException>(() => TrainingPeer.Read(path));
        Assert.Equal($"{path}: no such file (write it with scripts/bench-train-pytorch.py > {path})", e.Message);
    }
}
