using Moxing.Core.Tensors;

namespace Moxing.Models.Layers;

/// <summary>
/// Finds tensors whether or not a checkpoint carries the base-model prefix (e.g. "transformer.", "bert."), as
/// transformers' from_pretrained does: a bare GPT-2 checkpoint says "h.0.attn…", a head model "transformer.h.0.attn…".
/// </summary>
public sealed class PrefixedTensors(ITensorSource source, string basePrefix)
{
    /// <summary>The underlying tensors.</summary>
    public ITensorSource Source { get; } = source;

    /// <summary>The tensor called <paramref name="name"/>, with or without the base prefix; null when neither exists.</summary>
    public StoredTensor? Find(string name) =>
        Source.Find(name) ?? (name.StartsWith(basePrefix, StringComparison.Ordinal)
            ? Source.Find(name[basePrefix.Length..])
            : Source.Find(basePrefix + name));
}
