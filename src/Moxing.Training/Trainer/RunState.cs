using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Moxing.Core;

namespace Moxing.Training.Trainer;

/// <summary>Where a run stands, saved as state.json beside each checkpoint so `--resume` continues from it.</summary>
public sealed record RunState(int CompletedEpochs, double? BestValidationLoss, int BestEpoch, int EpochsWithoutImprovement, bool Finished)
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true, TypeInfoResolver = TrainingJsonContext.Default };
    private static JsonTypeInfo<RunState> Info => (JsonTypeInfo<RunState>)Options.GetTypeInfo(typeof(RunState));

    /// <summary>Writes the state as JSON.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Info));

    /// <summary>Reads a state file.</summary>
    public static RunState Load(string path)
    {
        if (!File.Exists(path)) throw new InvalidModelFileException(path, "no run state (was the run started by moxing train?)");
        try { return JsonSerializer.Deserialize(File.ReadAllText(path), Info) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new InvalidModelFileException(path, "not a run state file: " + e.Message, e); }
    }
}
