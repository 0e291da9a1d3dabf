using System.Globalization;
using Moxing.Cli.Store;
using Moxing.Core.Tensors;
using Moxing.Models;
using Moxing.Models.Decoder;

namespace Moxing.Cli.Commands;

/// <summary>`moxing show MODEL [--json]`: what a model is — architecture, size, tensor types, context, tokens, template, and a stored
/// model's own parameters and system prompt.</summary>
public sealed class ShowCommand : ICommand
{
    /// <inheritdoc />
    public string Name => "show";

    /// <inheritdoc />
    public string Summary => "architecture, parameters, tensor types, context, special tokens (--json)";

    /// <inheritdoc />
    public string Usage => $"""
        usage: moxing show MODEL [--json] [--home DIR]
          MODEL   a Hugging Face model folder, a GGUF file, or the name[:tag] of a model in the store
        {StoreArguments.HomeUsage}
        """;

    /// <inheritdoc />
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    /// <inheritdoc />
    public int Execute(Arguments args, CommandContext context)
    {
        var argument = args.Required(0, "MODEL");
        var json = args.Flag("json");
        var home = args.Option("home");
        args.RejectUnknown();
        var (path, stored) = StoreArguments.ResolveModel(argument, home);
        using var model = ModelLoader.Load(path);
        var types = model.Tensors.GroupBy(t => t.Type.ToString()).OrderByDescending(g => g.Sum(t => t.ElementCount))
            .Select(g => (Type: g.Key, Count: g.Count(), Elements: g.Sum(t => t.ElementCount))).ToArray();
        var tokenizer = model.Tokenizer;
        var special = tokenizer == null ? [] : new (string Name, int? Id)[]
        {
            ("bos", tokenizer.BosTokenId), ("eos", tokenizer.EosTokenId), ("unk", tokenizer.UnkTokenId), ("pad", tokenizer.PadTokenId),
        }.Where(s => s.Id != null).Select(s => (s.Name, Id: s.Id!.Value, Text: tokenizer.IdToToken(s.Id!.Value) ?? "")).ToArray();
        var templates = model.ChatTemplates?.Templates.Keys.ToArray() ?? [];
        var o = model.Decoder?.Options;
        var e = model.Encoder?.Options;
        var pooling = e != null ? Server.Embeddings.EmbeddingPoolings.For(model) : (Server.Embeddings.EmbeddingPooling?)null;
        var positions = e == null ? null : e.Rope is { } rope ? $"rotary (base {rope.Theta.ToString(CultureInfo.InvariantCulture)})"
            : e.PositionOffset > 0 ? $"learned (from row {e.PositionOffset})" : "learned";
        if (json)
        {
            JsonOutput.Write(context.Out, w =>
            {
                w.WriteStartObject();
                w.WriteString("path", model.Path);
                if (stored != null)
                {
                    w.WriteString("name", stored.Name.ToString());
                    w.WriteString("digest", stored.Digest);
                    w.WriteNumber("size", stored.Size);
                    w.WriteString("source", stored.Manifest.Source);
                    if (stored.Defaults is { } defaults)
                    {
                        w.WriteString("default_parameters", defaults.ParameterText());
                        if (defaults.System != null) w.WriteString("system", defaults.System);
                    }
                }
                w.WriteString("format", model.Format == ModelFormat.Gguf ? "gguf" : "huggingface");
                w.WriteString("architecture", model.Architecture);
                w.WriteNumber("parameters", model.ParameterCount);
                w.WriteNumber("context_length", model.MaxContext);
                if (o != null)
                {
                    w.WriteNumber("layers", o.LayerCount);
                    w.WriteNumber("hidden_size", o.HiddenSize);
                    w.WriteNumber("heads", o.HeadCount);
                    w.WriteNumber("kv_heads", o.KvHeadCount);
                    w.WriteNumber("vocab_size", o.VocabSize);
                    w.WriteNumber("kv_bytes_per_token", KvBlockPool.BytesPerPosition(o, DType.F16));
                    if (o.RecurrentStateFloats > 0)
                    {
                        w.WriteString("recurrent_mixer", o.Mamba is { } m ? m.Selective ? "mamba" : "mamba2" : o.DeltaNet != null ? "gated_deltanet" : "short_conv");
                        w.WriteNumber("recurrent_layers", RecurrentLayers(o));
                        w.WriteNumber("recurrent_state_bytes", KvBlockPool.StateBytesPerSequence(o));
                    }
                    if (o.Moe is { } moe)
                    {
                        w.WriteNumber("experts", moe.ExpertCount);
                        w.WriteNumber("experts_used", moe.ExpertsUsed);
                        w.WriteNumber("expert_feed_forward_length", moe.ExpertFeedForward);
                        if (moe.SharedFeedForward > 0) w.WriteNumber("shared_expert_feed_forward_length", moe.SharedFeedForward);
                    }
                    if (Multiplied(o))
                    {
                        w.WriteNumber("embedding_scale", o.EmbeddingScale);
                        w.WriteNumber("residual_scale", o.ResidualScale);
                        w.WriteNumber("attention_scale", o.EffectiveAttentionScale);
                        w.WriteNumber("logit_divisor", o.LogitDivisor);
                    }
                }
                if (e != null)
                {
                    w.WriteNumber("layers", e.LayerCount);
                    w.WriteNumber("hidden_size", e.HiddenSize);
                    w.WriteNumber("heads", e.HeadCount);
                    w.WriteNumber("vocab_size", e.VocabSize);
                    w.WriteString("pooling", pooling.ToString()!.ToLowerInvariant());
                    w.WriteString("positions", positions);
                    if (model.Classifier is { } head)
                    {
                        w.WriteStartArray("labels");
                        foreach (var label in head.Labels) w.WriteStringValue(label);
                        w.WriteEndArray();
                    }
                }
                w.WriteStartObject("tensor_types");
                foreach (var t in types) w.WriteNumber(t.Type, t.Count);
                w.WriteEndObject();
                w.WriteStartObject("special_tokens");
                foreach (var s in special)
                {
                    w.WriteStartObject(s.Name);
                    w.WriteNumber("id", s.Id);
                    w.WriteString("text", s.Text);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.Numbers("eos_token_ids", model.EosTokenIds);
                w.WriteBoolean("chat_template", templates.Length > 0);
                w.WriteEndObject();
            }, indented: true);
            return 0;
        }
        var inv = CultureInfo.InvariantCulture;
        var output = context.Out;
        if (stored != null)
            output.WriteLine($"  stored as       {stored.Name} ({StoreTable.ShortId(stored)}, {HumanUnits.Bytes(stored.Size)}, from {stored.Manifest.Source})");
        output.WriteLine($"  architecture    {model.Architecture} ({(model.Format == ModelFormat.Gguf ? "GGUF" : "Hugging Face")})");
        output.WriteLine($"  parameters      {HumanUnits.Count(model.ParameterCount)}");
        output.WriteLine($"  context length  {model.MaxContext.ToString(inv)}");
        if (o != null)
            output.WriteLine($"  shape           {o.LayerCount} layers, hidden {o.HiddenSize}, {o.HeadCount} heads ({o.KvHeadCount} kv), vocab {o.VocabSize}");
        if (o != null && o.KvLayerCount > 0)
            output.WriteLine($"  kv cache        {KvBlockPool.BytesPerPosition(o, DType.F16).ToString("N0", inv)} bytes per token as F16{(o.Mla is { } mla ? $" (latent: {mla.KvLoraRank} + {mla.RopeDim} values per layer)" : "")}");
        if (e != null)
            output.WriteLine($"  encoder         {e.LayerCount} layers, hidden {e.HiddenSize}, {e.HeadCount} heads, vocab {e.VocabSize}, {positions} positions, {(e.GatedFeedForward ? "gated " : "")}{e.Activation}, {pooling} pooling");
        if (model.Classifier is { } classifier)
            output.WriteLine($"  classifier      {(classifier.Labels.Count == 1 ? "reranker (one relevance score)" : $"{classifier.Labels.Count} labels")}: {string.Join(", ", classifier.Labels)}{(classifier.HasDense ? "" : ", no pooler")}");
        if (o?.Moe is { } experts)
            output.WriteLine($"  experts         {experts.ExpertCount} per layer, {experts.ExpertsUsed} used per token, {experts.ExpertFeedForward} wide{(experts.SharedFeedForward > 0 ? $", shared expert {experts.SharedFeedForward} wide" : "")}");
        if (o?.ShortConv is { } conv)
            output.WriteLine($"  recurrent       {RecurrentLayers(o)} short-convolution layers of {conv.Kernel} taps, {o.KvLayerCount} attention layers; {HumanUnits.Bytes(KvBlockPool.StateBytesPerSequence(o))} of state per sequence");
        if (o?.DeltaNet is { } delta)
            output.WriteLine($"  recurrent       {RecurrentLayers(o)} Gated DeltaNet layers ({delta.KeyHeads} key heads of {delta.KeyHeadDim}, {delta.ValueHeads} value heads of {delta.ValueHeadDim}, {delta.ConvKernel} taps), {o.KvLayerCount} attention layers; {HumanUnits.Bytes(KvBlockPool.StateBytesPerSequence(o))} of state per sequence");
        if (o?.Mamba is { Selective: true } selective)
            output.WriteLine($"  recurrent       {RecurrentLayers(o)} Mamba 1 layers ({selective.Inner} channels, state {selective.StateSize}, time-step rank {selective.TimeStepRank}, {selective.ConvKernel} taps), {o.KvLayerCount} attention layers; {HumanUnits.Bytes(KvBlockPool.StateBytesPerSequence(o))} of state per sequence");
        else if (o?.Mamba is { } mamba)
            output.WriteLine($"  recurrent       {RecurrentLayers(o)} Mamba2 layers ({mamba.Heads} heads of {mamba.HeadDim}, state {mamba.StateSize}, {mamba.Groups} groups, {mamba.ConvKernel} taps), {o.KvLayerCount} attention layers; {HumanUnits.Bytes(KvBlockPool.StateBytesPerSequence(o))} of state per sequence");
        if (o != null && Multiplied(o))
            output.WriteLine(string.Create(inv, $"  multipliers     embedding ×{o.EmbeddingScale}, residual ×{o.ResidualScale}, attention ×{o.EffectiveAttentionScale}, logits ÷{o.LogitDivisor}"));
        output.WriteLine($"  tensor types    {string.Join(", ", types.Select(t => $"{t.Type} ×{t.Count}"))}");
        output.WriteLine($"  special tokens  {(special.Length == 0 ? "none" : string.Join(", ", special.Select(s => $"{s.Name} {s.Id} {s.Text}")))}");
        output.WriteLine($"  stop ids        {(model.EosTokenIds.Length == 0 ? "none" : string.Join(", ", model.EosTokenIds))}");
        output.WriteLine($"  chat template   {(templates.Length == 0 ? "none" : string.Join(", ", templates))}");
        if (stored?.Defaults is { } d)
        {
            foreach (var (key, value) in d.Parameters()) output.WriteLine($"  parameter       {key} {value}");
            if (d.System != null) output.WriteLine($"  system          {d.System.ReplaceLineEndings("\n                  ")}");
        }
        return 0;
    }

    // Layers with recurrent state (Nemotron-H's feed-forward blocks neither attend nor keep state).
    private static int RecurrentLayers(DecoderOptions o) => Enumerable.Range(0, o.LayerCount).Count(l => o.StateFloatsOf(l) > 0);

    // Granite's multipliers (residual and logit scaling are its own; other families' scales follow from their shape).
    private static bool Multiplied(DecoderOptions o) => o.ResidualScale != 1f || o.LogitDivisor != 1f;
}
