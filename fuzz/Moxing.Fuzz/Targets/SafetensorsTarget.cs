using Moxing.Core;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;

namespace Moxing.Fuzz.Targets;

/// <summary>The safetensors reader: header length, JSON header, dtypes, shapes and data offsets.</summary>
public sealed class SafetensorsTarget : FuzzTarget
{
    private const int MaxSeedBytes = 128 << 10;

    public override string Name => "safetensors";

    public override void Run(byte[] input)
    {
        using var file = SafetensorsFile.Open(ScratchFile.Write("input.safetensors", input));
        Touch(file.Tensors);
    }

    public override bool IsExpected(Exception e) => e is InvalidModelFileException;

    // The fixtures' headers with every tensor cut to a single element, so that the header, not the data, dominates each seed.
    public override IEnumerable<(string Name, byte[] Data)> Seeds(string repository)
    {
        foreach (var path in Directory.EnumerateFiles(Fixtures(repository), "*.safetensors", SearchOption.AllDirectories).Order())
        {
            using var source = SafetensorsFile.Open(path);
            var writer = new SafetensorsWriter();
            foreach (var (key, value) in source.Metadata) writer.SetMetadata(key, value);
            foreach (var tensor in source.Tensors.Take(64))
                writer.Add(tensor.Name, tensor.Type, [1], new byte[tensor.Type.BlockBytes()]);
            using var bytes = new MemoryStream();
            writer.Write(bytes);
            if (bytes.Length <= MaxSeedBytes) yield return (Path.GetFileName(path), bytes.ToArray());
        }
    }
}
