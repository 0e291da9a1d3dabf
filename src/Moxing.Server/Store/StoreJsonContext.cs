using System.Text.Json.Serialization;

namespace Moxing.Server.Store;

/// <summary>Source-generated JSON metadata for the store's files (reflection-free, so the NativeAOT binary can read them).</summary>
[JsonSerializable(typeof(ModelManifest))]
internal sealed partial class StoreJsonContext : JsonSerializerContext;
