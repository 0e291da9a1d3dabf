namespace Moxing.Server.Tests.Store;

/// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, so reports could arrive after the pull returns).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
