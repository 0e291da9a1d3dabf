using System.Globalization;
using Moxing.Inference.Evaluation;
using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing eval MODEL --text FILE [--ctx N] [--reference MODEL2]`: perplexity (llama-perplexity's method) and divergence from a reference.</summary>
public static class TextEvaluation
{
    /// <summary>Usage lines for the text mode of `moxing eval`.</summary>
    public const string Usage = """
               moxing eval MODEL --text FILE [--ctx 512] [--reference MODEL2]
          MODEL       a GGUF file or Hugging Face folder: perplexity over FILE in chunks of --ctx tokens (second half of each
                      chunk scored, as llama-perplexity); with --reference, KL divergence (mean, p99) and top-1 agreement of
                      MODEL's next-token distributions against MODEL2's
        """;

    /// <summary>The tokens of the text file (special tokens added) and the BOS id each chunk starts with, when the tokenizer adds one.</summary>
    public static (int[] Tokens, int? Bos) Tokenize(LoadedModel model, string textPath)
    {
        if (!File.Exists(textPath)) throw new UsageException($"--text: {textPath} does not exist");
        var tokenizer = model.RequireTokenizer();
        var tokens = tokenizer.Encode(File.ReadAllText(textPath), addSpecialTokens: true);
        int? bos = tokenizer.BosTokenId is { } b && tokenizer.PrefixSpecialIds.Contains(b) ? b : null;
        return (tokens, bos);
    }

    /// <summary>Runs the text evaluation the arguments describe.</summary>
    public static int Execute(Arguments args, CommandContext context, string textPath)
    {
        var modelPath = args.Required(0, "MODEL");
        var ctx = args.Int(512, "ctx");
        var referencePath = args.Option("reference");
        args.RejectUnknown();
        using var model = ModelLoader.Load(modelPath);
        using var reference = referencePath == null ? null : ModelLoader.Load(referencePath);
        var (tokens, bos) = Tokenize(model, textPath);
        var score = TextEvaluator.Evaluate(model.RequireDecoder(), tokens, bos, ctx, reference?.RequireDecoder(),
            (i, n) => context.Error.Write($"\rchunk {i}/{n}"), context.Cancellation);
        context.Error.WriteLine();
        var c = CultureInfo.InvariantCulture;
        context.Out.WriteLine(string.Create(c,
            $"perplexity {score.Perplexity:F4} ± {score.StandardError:F4} ({score.Chunks} chunks of {score.Context}, {score.ScoredTokens} tokens scored)"));
        if (score.Divergence is { } d)
        {
            context.Out.WriteLine(string.Create(c, $"reference perplexity {score.ReferencePerplexity:F4}"));
            context.Out.WriteLine(string.Create(c, $"KL divergence mean {d.MeanKl:F6}, p99 {d.P99Kl:F6}, max {d.MaxKl:F6}; top-1 agreement {d.Top1Agreement:P2}"));
        }
        return 0;
    }
}
