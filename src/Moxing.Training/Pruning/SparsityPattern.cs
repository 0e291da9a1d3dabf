using System.Globalization;
using Moxing.Core;

namespace Moxing.Training.Pruning;

/// <summary>Where zeros may fall: anywhere (unstructured) or N kept values in every group of M consecutive inputs of a row (N:M, e.g. 2:4).</summary>
public readonly record struct SparsityPattern(int N, int M)
{
    /// <summary>Zeros anywhere.</summary>
    public static SparsityPattern Unstructured => default;

    /// <summary>True when zeros may fall anywhere.</summary>
    public bool IsUnstructured => M == 0;

    /// <summary>The fraction of zeros an N:M pattern implies.</summary>
    public double ImpliedSparsity => IsUnstructured ? 0 : 1 - (double)N / M;

    /// <summary>Parses "unstructured" or "N:M" (N &lt; M ≤ 64).</summary>
    public static SparsityPattern Parse(string text)
    {
        if (text.Equals("unstructured", StringComparison.OrdinalIgnoreCase)) return Unstructured;
        var parts = text.Split(':');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && n >= 1 && n < m && m <= 64)
            return new SparsityPattern(n, m);
        throw new MoxingException($"unknown sparsity pattern '{text}' (expected unstructured or N:M with 1 ≤ N < M ≤ 64, e.g. 2:4)");
    }

    /// <inheritdoc />
    public override string ToString() => IsUnstructured ? "unstructured" : string.Create(CultureInfo.InvariantCulture, $"{N}:{M}");
}

/// <summary>Which weights a sparsity target counts over.</summary>
public enum PruningScope
{
    /// <summary>Every tensor gets the requested sparsity.</summary>
    Layer,

    /// <summary>One magnitude threshold over all tensors together (layers with small weights lose more).</summary>
    Global,
}
