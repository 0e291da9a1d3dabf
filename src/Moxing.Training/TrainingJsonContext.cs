using System.Text.Json.Serialization;
using Moxing.Training.Export;
using Moxing.Training.Trainer;

namespace Moxing.Training;

/// <summary>Source-generated JSON metadata for the files training writes (reflection-free, so the NativeAOT binary reads them).</summary>
[JsonSerializable(typeof(RunState))]
[JsonSerializable(typeof(ClassifierManifest))]
internal sealed partial class TrainingJsonContext : JsonSerializerContext;
