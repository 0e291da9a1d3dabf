using Moxing.Inference.Generation;

namespace Moxing.Inference.Tests.Sampling;

public sealed class StopStringFilterTests
{
    [Fact]
    public void HoldsBackAPossibleStopAndCutsAtIt()
    {
        var f = new StopStringFilter(["</s>", "STOP"]);
        Assert.Equal("Hello ", f.Push("Hello <"));
        Assert.Equal("", f.Push("/"));
        Assert.Equal("</x", f.Push("x"));
        Assert.Equal(" the end", f.Push(" the endST"));
        Assert.Equal("", f.Push("OP and more"));
        Assert.True(f.Stopped);
        Assert.Equal("", f.Flush());
    }

    [Fact]
    public void FlushReleasesAnUnfinishedPrefix()
    {
        var f = new StopStringFilter(["###"]);
        Assert.Equal("a", f.Push("a##"));
        Assert.Equal("##", f.Flush());
    }
}
