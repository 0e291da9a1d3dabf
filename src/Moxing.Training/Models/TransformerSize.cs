using Moxing.Core;
using Moxing.Training.Recipes;

namespace Moxing.Training.Models;

/// <summary>
/// Sizes of a <see cref="TransformerNetwork"/>: model width, blocks and heads, and the widths of one head and of the
/// feed-forward layer (null: dim / heads and 4·dim, as every unpruned run).
/// </summary>
public sealed record TransformerSize(int Dim, int Layers, int Heads, int? HeadDim = null, int? FeedForward = null)
{
    /// <summary>The sizes a recipe's model section asks for.</summary>
    public static TransformerSize Of(ModelRecipe model) => new(model.Dim, model.Layers, model.Heads, model.HeadDim, model.FeedForward);

    /// <summary>Width of the feed-forward layer.</summary>
    public int FeedForwardWidth => FeedForward ?? 4 * Dim;

    /// <summary>Throws naming the recipe key when a size cannot build a network.</summary>
    public void Check()
    {
        if (Dim <= 0) throw new MoxingException($"model.dim must be positive, got {Dim}");
        if (Layers < 0) throw new MoxingException($"model.layers must not be negative, got {Layers}");
        if (Heads <= 0) throw new MoxingException($"model.heads must be positive, got {Heads}");
        if (HeadDim is { } h && h <= 0) throw new MoxingException($"model.head_dim must be positive, got {h}");
        if (HeadDim == null && Dim % Heads != 0) throw new MoxingException($"model.dim {Dim} must be a multiple of model.heads {Heads} (or set model.head_dim)");
        if (FeedForward is { } f && f <= 0) throw new MoxingException($"model.feed_forward must be positive, got {f}");
    }
}
