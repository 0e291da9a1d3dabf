using System.Text.Json;
using Moxing.Core;

namespace Moxing.Cli.Benchmarks;

/// <summary>One model's training throughput as the peer measured it.</summary>
/// <param name="Parameters">The peer model's parameter count (equal to ours when it is the same model).</param>
/// <param name="SamplesPerSecond">Median samples per second.</param>
/// <param name="UserCpuMsPerStep">User CPU milliseconds per step, when the file has it.</param>
public sealed record PeerThroughput(long Parameters, double SamplesPerSecond, double? UserCpuMsPerStep);

/// <summary>
/// Another engine's training throughput on the models of `moxing bench train`, read from the JSON that
/// scripts/bench-train-pytorch.py prints, to show beside ours (`--against FILE`).
/// </summary>
/// <param name="File">The file it was read from.</param>
/// <param name="Engine">The engine's name ("PyTorch").</param>
/// <param name="Version">The engine's version, or "" when the file does not say.</param>
/// <param name="Threads">Intra-op threads the peer ran with.</param>
/// <param name="Results">Per model name (digits-cnn, names-gpt).</param>
public sealed record TrainingPeer(string File, string Engine, string Version, long Threads, IReadOnlyDictionary<string, PeerThroughput> Results)
{
    /// <summary>Reads <paramref name="path"/>; a missing file or one of another shape is a <see cref="MoxingException"/> naming the file and the problem.</summary>
    public static TrainingPeer Read(string path)
    {
        if (!System.IO.File.Exists(path)) throw new MoxingException($"{path}: no such file (write it with scripts/bench-train-pytorch.py > {path})");
        try
        {
            using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid(path, $"expected a JSON object, found {root.ValueKind}");
            var engine = String(root, "engine", path);
            var version = root.TryGetProperty("version", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            var threads = Count(root, "threads", path, "threads");
            if (!root.TryGetProperty("results", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
                throw Invalid(path, "no \"results\" array of models");
            var results = new Dictionary<string, PeerThroughput>();
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                var where = $"results[{index++}]";
                if (item.ValueKind != JsonValueKind.Object) throw Invalid(path, $"{where} is not an object");
                var model = String(item, "model", path, where);
                if (results.ContainsKey(model)) throw Invalid(path, $"{where}: model '{model}' appears twice");
                double? cpu = item.TryGetProperty("user_cpu_ms_per_step", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetDouble() : null;
                results[model] = new PeerThroughput(Count(item, "parameters", path, $"{where}.parameters"), Rate(item, path, where), cpu);
            }
            return new TrainingPeer(path, engine, version, threads, results);
        }
        catch (JsonException e)
        {
            throw Invalid(path, $"not JSON ({e.Message})", e);
        }
    }

    private static string String(JsonElement element, string name, string path, string? where = null) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw Invalid(path, $"{(where == null ? "" : where + ".")}{name} must be a non-empty string");

    private static long Count(JsonElement element, string name, string path, string what) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0
            ? n
            : throw Invalid(path, $"{what} must be a positive whole number");

    private static double Rate(JsonElement element, string path, string where) =>
        element.TryGetProperty("samples_per_second", out var value) && value.ValueKind == JsonValueKind.Number && value.GetDouble() is var rate
            && double.IsFinite(rate) && rate > 0
            ? rate
            : throw Invalid(path, $"{where}.samples_per_second must be a positive number");

    private static MoxingException Invalid(string path, string problem, Exception? inner = null) =>
        new($"{path}: not a bench-train-pytorch.py result: {problem}", inner);
}
