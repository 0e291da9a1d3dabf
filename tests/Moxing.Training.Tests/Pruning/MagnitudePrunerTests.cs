using Moxing.Core;
using Moxing.Training.Pruning;

namespace Moxing.Training.Tests.Pruning;

public class MagnitudePrunerTests
{
    private static PruningTarget Target(string name, int rows, int columns, int seed)
    {
        var rng = new Random(seed);
        var values = new float[rows * columns];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1) * (seed + 1);
        return new PruningTarget(name, [rows, columns], values);
    }

    private static int Zeros(byte[] keep) => keep.Count(k => k == 0);

    [Fact]
    public void LayerScopeZeroesTheSmallestHalfOfEveryTensor()
    {
        var a = Target("a", 6, 10, 0);
        var b = Target("b", 3, 7, 5);
        var masks = MagnitudePruner.Masks([a, b], 0.5, SparsityPattern.Unstructured, PruningScope.Layer);
        Assert.Equal(30, Zeros(masks.Find("a")!));
        Assert.Equal(10, Zeros(masks.Find("b")!)); // round(10.5) to even
        var keep = masks.Find("a")!;
        var largestPruned = a.Values.Where((_, i) => keep[i] == 0).Max(MathF.Abs);
        var smallestKept = a.Values.Where((_, i) => keep[i] == 1).Min(MathF.Abs);
        Assert.True(largestPruned <= smallestKept);
    }

    [Fact]
    public void GlobalScopePrunesSmallWeightedLayersMore()
    {
        var small = Target("small", 8, 8, 0);  // values in ±1
        var large = Target("large", 8, 8, 9);  // values in ±10
        var masks = MagnitudePruner.Masks([small, large], 0.5, SparsityPattern.Unstructured, PruningScope.Global);
        Assert.Equal(64, Zeros(masks.Find("small")!) + Zeros(masks.Find("large")!));
        Assert.True(Zeros(masks.Find("small")!) > Zeros(masks.Find("large")!));
    }

    [Fact]
    public void TwoFourKeepsTheTwoLargestOfEveryGroupOfFour()
    {
        var t = Target("w", 5, 12, 3);
        var masks = MagnitudePruner.Masks([t], 0, SparsityPattern.Parse("2:4"), PruningScope.Layer);
        var keep = masks.Find("w")!;
        for (var g = 0; g < keep.Length; g += 4)
        {
            Assert.Equal(2, keep[g] + keep[g + 1] + keep[g + 2] + keep[g + 3]);
            for (var j = g; j < g + 4; j++)
                for (var o = g; o < g + 4; o++)
                    if (keep[j] == 1 && keep[o] == 0) Assert.True(MathF.Abs(t.Values[j]) >= MathF.Abs(t.Values[o]));
        }
    }

    [Fact]
    public void NmSkipsRowsThatDoNotDivideAndRejectsBadInput()
    {
        var skipped = new List<string>();
        var masks = MagnitudePruner.Masks([Target("odd", 2, 9, 1)], 0, SparsityPattern.Parse("1:4"), PruningScope.Layer, skipped);
        Assert.Equal(0, Zeros(masks.Find("odd")!));
        Assert.Contains("odd", Assert.Single(skipped));
        Assert.Throws<MoxingException>(() => SparsityPattern.Parse("4:2"));
        Assert.Throws<MoxingException>(() => SparsityPattern.Parse("two:four"));
        Assert.Throws<MoxingException>(() => MagnitudePruner.Masks([Target("a", 2, 4, 0)], 1.2, SparsityPattern.Unstructured, PruningScope.Layer));
        Assert.Throws<MoxingException>(() => MagnitudePruner.Masks([Target("a", 2, 4, 0)], 0, SparsityPattern.Parse("2:4"), PruningScope.Global));
        Assert.Equal("3:8", SparsityPattern.Parse("3:8").ToString());
        Assert.Equal(0.625, SparsityPattern.Parse("3:8").ImpliedSparsity);
    }
}
