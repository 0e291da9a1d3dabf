namespace Moxing.Core.Tests.Formats;

/// <summary>Asserts that reading a bad file fails with <see cref="InvalidModelFileException"/> naming the file and the problem.</summary>
internal static class InvalidFile
{
    public static InvalidModelFileException Assert(string path, string problem, Func<IDisposable> open)
    {
        var e = Xunit.Assert.Throws<InvalidModelFileException>(() => open().Dispose());
        Xunit.Assert.Contains(System.IO.Path.GetFileName(path), e.Message);
        Xunit.Assert.Contains(problem, e.Message);
        return e;
    }
}
