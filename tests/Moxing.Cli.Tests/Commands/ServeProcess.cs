using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Moxing.Cli.Tests.Commands;

/// <summary>`moxing serve` of this build (moxing.dll next to the tests) as a child process, with its own MOXING_HOME.</summary>
public sealed class ServeProcess : IDisposable
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The address it printed.</summary>
    public Uri Address { get; }

    /// <summary>Its process id.</summary>
    public int Id => _process.Id;

    /// <summary>Starts <c>moxing serve ARGS --port 0</c> with <paramref name="home"/> as MOXING_HOME and waits for its address.</summary>
    public static async Task<ServeProcess> StartAsync(string home, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "moxing.dll"));
        info.ArgumentList.Add("serve");
        foreach (var a in args) info.ArgumentList.Add(a);
        info.ArgumentList.Add("--port");
        info.ArgumentList.Add("0");
        info.Environment["MOXING_HOME"] = home;
        var process = Process.Start(info)!;
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(StartLimit);
        try
        {
            while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
            {
                var match = Regex.Match(line, @" on (http://\S+/)$");
                if (!match.Success) continue;
                // Keep draining stdout so the server never blocks on a full pipe.
                _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                return new ServeProcess(process, new Uri(match.Groups[1].Value));
            }
        }
        catch (OperationCanceledException)
        {
            // Reported below.
        }
        process.Kill();
        process.WaitForExit();
        string text;
        lock (log) text = log.ToString();
        process.Dispose();
        throw new InvalidOperationException($"moxing serve did not print its address within {StartLimit}:\n{text}");
    }

    /// <summary>Ends the process with SIGKILL (no shutdown code runs) and waits until it is gone.</summary>
    public void KillHard()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited) KillHard();
        _process.Dispose();
    }
}
