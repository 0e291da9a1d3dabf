using Moxing.Core.Formats.Gguf;
using Moxing.Models.Synthesis;

namespace Moxing.Cli.Commands;

/// <summary>`moxing synth --like NAME --type TYPE -o FILE`: a GGUF with random weights shaped like a real model, for benchmarks.</summary>
public sealed class SynthCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "synth";

    /// <inheritdoc />
    public string Summary => "write a GGUF with random weights shaped like a real model (for benchmarks)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing synth --like MODEL --type TYPE -o FILE.gguf [--seed N] [--vocab-from FILE.gguf]
          --like     qwen2.5-0.5b | qwen2.5-1.5b | llama3.2-1b | qwen3-0.6b
          --type     F16 | Q8_0 | Q4_0 | Q4_K_M | Q6_K (per-tensor types as llama-quantize picks them)
          -o         the file to write
          --seed     random seed (default 1)
          --vocab-from  copy the tokenizer (and chat template) of this GGUF, whose vocabulary must have the model's
                     size, so the file can serve text (default: no tokenizer, token ids only)
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var like = args.Option("like") ?? throw new UsageException("--like is required");
        var typeName = args.Option("type") ?? throw new UsageException("--type is required");
        var output = args.Option("o", "output") ?? throw new UsageException("-o FILE is required");
        var seed = args.Int(1, "seed");
        var vocabFrom = args.Option("vocab-from");
        args.RejectUnknown();
        var shape = SynthShape.Find(like) ?? throw new UsageException($"--like: unknown model '{like}'");
        var fileType = SynthFileType.Find(typeName) ?? throw new UsageException($"--type: unknown type '{typeName}'");
        GgufMetadata? vocabulary = null;
        if (vocabFrom != null)
        {
            using var source = GgufFile.Open(vocabFrom);
            vocabulary = source.Metadata;
        }
        SyntheticModelWriter.Write(shape, fileType, seed, output, vocabulary);
        context.Out.WriteLine($"wrote {output}: {shape.Name} ({shape.Architecture}, {shape.Layers} layers) {fileType.Name}, {new FileInfo(output).Length / 1e6:F1} MB");
        return 0;
    }
}
