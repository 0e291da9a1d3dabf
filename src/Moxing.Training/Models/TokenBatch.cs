using Moxing.Core.Autograd;

namespace Moxing.Training.Models;

/// <summary>Token ids of a batch [B, T] (stored as floats in the batch tensor) and which positions are padding.</summary>
internal readonly struct TokenBatch
{
    public TokenBatch(Tensor input, int padId)
    {
        if (input.Rank != 2) throw new ArgumentException($"token models expect [B, T] ids, got {Shapes.Format(input.Shape)}");
        (Batch, Length) = (input.Shape[0], input.Shape[1]);
        var values = input.Data;
        Ids = new int[values.Length];
        Padding = new bool[values.Length];
        var mask = new float[values.Length];
        var counts = new float[Batch];
        for (var i = 0; i < values.Length; i++)
        {
            Ids[i] = (int)values[i];
            Padding[i] = Ids[i] == padId;
            if (!Padding[i]) { mask[i] = 1f; counts[i / Length]++; }
        }
        // A row of padding only (an empty text) keeps its last position, so attention and pooling stay defined.
        for (var b = 0; b < Batch; b++)
            if (counts[b] == 0) { Padding[(b + 1) * Length - 1] = false; mask[(b + 1) * Length - 1] = 1f; counts[b] = 1; }
        Mask = new Tensor(mask, Batch, Length, 1);
        Counts = new Tensor(counts, Batch, 1);
    }

    public int Batch { get; }

    public int Length { get; }

    public int[] Ids { get; }

    /// <summary>True at padding positions, [B·T] (a key padding mask).</summary>
    public bool[] Padding { get; }

    /// <summary>1 at real tokens, 0 at padding, [B, T, 1].</summary>
    public Tensor Mask { get; }

    /// <summary>Real tokens per row, [B, 1].</summary>
    public Tensor Counts { get; }

    /// <summary>Mean of <paramref name="states"/> [B, T, D] over the real tokens of each row: [B, D].</summary>
    public Tensor MeanPool(Tensor states) => (states * Mask).Sum(1) / Counts;
}
