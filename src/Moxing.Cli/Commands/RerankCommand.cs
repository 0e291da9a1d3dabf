using Moxing.Models;

namespace Moxing.Cli.Commands;

/// <summary>`moxing rerank MODEL --query Q DOC…`: a cross-encoder's relevance of each document to the query, most relevant first.</summary>
public sealed class RerankCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "rerank";

    /// <inheritdoc />
    public string Summary => "score documents against a query with a cross-encoder reranker, most relevant first (JSON)";

    /// <inheritdoc />
    public string Usage => """
        usage: moxing rerank MODEL --query QUERY DOCUMENT...
          MODEL     a reranker: a Hugging Face BertForSequenceClassification / (XLM-)RobertaForSequenceClassification folder of one
                    label, or its GGUF (cls.output)
          --query   the query; each DOCUMENT is joined to it as the tokenizer's pair template says ([CLS] Q [SEP] D [SEP])
          Prints {"results": [{"index", "relevance_score", "logit"}]}: relevance_score is the sigmoid of the head's logit.
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var path = args.Required(0, "MODEL");
        var query = args.Option("query") ?? throw new UsageException("give the query with --query");
        var documents = args.Positionals.Skip(1).ToArray();
        if (documents.Length == 0) throw new UsageException("give at least one DOCUMENT after MODEL");
        args.RejectUnknown();
        using var model = ModelLoader.Load(path);
        var head = model.Classifier ?? throw new UsageException($"{path}: '{model.Architecture}' has no sequence-classification head: it is not a reranker");
        if (head.Labels.Count != 1) throw new UsageException($"{path}: the head classifies into {head.Labels.Count} labels; a reranker scores with one");
        var pairs = documents.Select(d => model.RequireTokenizer().EncodePair(query, d)).ToArray();
        var logits = head.Scores(model.RequireEncoder().EncodeMany([.. pairs.Select(p => p.Ids)], [.. pairs.Select(p => p.TypeIds)]));
        JsonOutput.Write(context.Out, w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("results");
            foreach (var i in Enumerable.Range(0, documents.Length).OrderByDescending(i => logits[i]))
            {
                w.WriteStartObject();
                w.WriteNumber("index", i);
                w.WritePropertyName("relevance_score");
                w.Number(1 / (1 + MathF.Exp(-logits[i])));
                w.WritePropertyName("logit");
                w.Number(logits[i]);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return 0;
    }
}
