namespace Moxing.Core.Tests.Formats;

/// <summary>Asserts that reading a bad file fails with <see cref="InvalidModelFileException"/> naming the file and the problem.</summary>
internal static class InvalidFile
{
    /// <summary>Allocation allowed beyond twice the file's size: the exception, its message and small bookkeeping.</summary>
    private const long AllocationSlack = 1 << 20;

    public static InvalidModelFileException Assert(string path, string problem, Func<IDisposable> open)
    {
        var fileLength = File.Exists(path) ? new FileInfo(path).Length : 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        var e = Xunit.Assert.Throws<InvalidModelFileException>(() => open().Dispose());
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Xunit.Assert.Contains(System.IO.Path.GetFileName(path), e.Message);
        Xunit.Assert.Contains(problem, e.Message);
        Xunit.Assert.True(allocated <= 2 * fileLength + AllocationSlack, $"reading a {fileLength}-byte bad file allocated {allocated} bytes");
        return e;
    }
}
