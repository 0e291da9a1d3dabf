using Moxing.Core;
using Moxing.Core.Formats.Gguf;
using Moxing.Core.Tensors;
using Moxing.Text.Tokenization;

namespace Moxing.Fuzz.Targets;

/// <summary>The GGUF reader (header, metadata, tensor infos) and the tokenizer built from its <c>tokenizer.ggml.*</c> metadata.</summary>
public sealed class GgufTarget : FuzzTarget
{
    /// <summary>Largest seed kept (AFL++ mutates small inputs far faster).</summary>
    private const int MaxSeedBytes = 256 << 10;

    public override string Name => "gguf";

    public override void Run(byte[] input)
    {
        using var file = GgufFile.Open(ScratchFile.Write("input.gguf", input));
        Touch(file.Tensors);
        if (file.Metadata.ContainsKey("tokenizer.ggml.model"))
            Tokenizer.FromGguf(file.Metadata, file.FilePath).Encode("Hello, world! 123", addSpecialTokens: true);
    }

    public override bool IsExpected(Exception e) => e is InvalidModelFileException or TokenizerException;

    // Each fixture's metadata (the tokenizer included) with every tensor cut to one block of its type, so the seeds stay small.
    public override IEnumerable<(string Name, byte[] Data)> Seeds(string repository)
    {
        foreach (var path in Directory.EnumerateFiles(Path.Combine(Fixtures(repository), "gguf"), "*.gguf").Order())
        {
            using var source = GgufFile.Open(path);
            var writer = new GgufWriter();
            foreach (var (key, value) in source.Metadata) writer.Set(key, value);
            foreach (var tensor in source.Tensors.Take(4))
                writer.AddTensor(tensor.Name, tensor.Type, [tensor.Type.BlockSize()], new byte[tensor.Type.BlockBytes()]);
            using var bytes = new MemoryStream();
            writer.Write(bytes);
            if (bytes.Length <= MaxSeedBytes) yield return (Path.GetFileName(path), bytes.ToArray());
        }
    }
}
