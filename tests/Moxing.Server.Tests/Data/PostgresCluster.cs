using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Moxing.Server.Data;
using Npgsql;

namespace Moxing.Server.Tests.Data;

/// A throwaway PostgreSQL server for the whole test run: initdb into a temp folder, started on a free loopback port on first use,
/// stopped when the test process exits. As root it runs as 'nobody' (PostgreSQL refuses to run as root).
public sealed class PostgresCluster
{
    private const string User = "moxing";
    private const string Prefix = "moxing-pg-";
    private static readonly Lazy<PostgresCluster> SharedCluster = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _dir;
    private readonly string _bin;
    private readonly string _password;
    private readonly int _port;

    private PostgresCluster(string dir, string bin, string password, int port)
    {
        (_dir, _bin, _password, _port) = (dir, bin, password, port);
    }

    /// MOXING_REQUIRE_POSTGRES=1 (test.sh sets it): a missing or broken PostgreSQL fails the tests instead of leaving them out.
    public static bool Required => Environment.GetEnvironmentVariable("MOXING_REQUIRE_POSTGRES") == "1";

    /// The newest installed server's bin folder (Debian's /usr/lib/postgresql/N/bin), or MOXING_POSTGRES_BIN.
    public static string? BinDirectory { get; } = FindBin();

    /// The cluster, started on first use; throws with what went wrong and how to fix it when it cannot start.
    public static PostgresCluster Shared => SharedCluster.Value;

    /// URL of a database of the cluster.
    public string Url(string database, string? password = null) =>
        $"postgres://{User}:{Uri.EscapeDataString(password ?? _password)}@127.0.0.1:{_port}/{database}";

    /// The port it listens on.
    public int Port => _port;

    /// Makes an empty database and returns its URL.
    public string CreateDatabase()
    {
        var name = "t_" + Guid.NewGuid().ToString("n");
        Admin($"CREATE DATABASE {name}");
        return Url(name);
    }

    /// Closes every pooled connection to the database of <paramref name="url"/> and drops it.
    public void DropDatabase(string url)
    {
        using (var c = new NpgsqlConnection(DatabaseAddress.Parse(url).ConnectionString)) NpgsqlConnection.ClearPool(c);
        Admin($"DROP DATABASE IF EXISTS {url[(url.LastIndexOf('/') + 1)..]} WITH (FORCE)");
    }

    private void Admin(string sql)
    {
        using var c = new NpgsqlConnection(DatabaseAddress.Parse(Url("postgres")).ConnectionString + ";Pooling=false");
        c.Open();
        using var command = c.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string? FindBin()
    {
        if (Environment.GetEnvironmentVariable("MOXING_POSTGRES_BIN") is { Length: > 0 } bin) return bin;
        const string root = "/usr/lib/postgresql";
        if (!Directory.Exists(root)) return null;
        return Directory.GetDirectories(root)
            .Where(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .OrderByDescending(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture))
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")));
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static PostgresCluster Start()
    {
        var bin = BinDirectory ?? throw new InvalidOperationException(
            "PostgreSQL is not installed (no initdb/pg_ctl under /usr/lib/postgresql/*/bin; set MOXING_POSTGRES_BIN to another bin folder). "
            + "Run scripts/setup.sh, which installs it with apt-get.");
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("the throwaway PostgreSQL cluster needs Linux or macOS");
        StopAbandoned(bin);
        var dir = Directory.CreateTempSubdirectory(Prefix).FullName;
        try
        {
            // The server user ('nobody' under root) must create its data folder and socket here.
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
            File.WriteAllText(Path.Combine(dir, "owner.pid"), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var pwfile = Path.Combine(dir, "pw");
            File.WriteAllText(pwfile, password + "\n");
            File.SetUnixFileMode(pwfile, (UnixFileMode)0b110_100_100);
            var data = Path.Combine(dir, "data");
            Run(bin, "initdb", "-D", data, "-U", User, "--pwfile=" + pwfile, "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C");
            File.Delete(pwfile);
            for (var attempt = 1; ; attempt++)
            {
                var port = FreePort();
                try
                {
                    Run(bin, "pg_ctl", "-D", data, "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60", "-o",
                        $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 -c max_connections=300 -F", "start");
                }
                catch (InvalidOperationException) when (attempt < 3)
                {
                    continue; // another process took the port between our probe and the server's bind
                }
                var cluster = new PostgresCluster(dir, bin, password, port);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.Stop();
                return cluster;
            }
        }
        catch (Exception e)
        {
            var log = Path.Combine(dir, "server.log");
            var tail = File.Exists(log) ? "\nserver log:\n" + File.ReadAllText(log) : "";
            TryDelete(dir);
            throw new InvalidOperationException($"cannot start a throwaway PostgreSQL from {bin}: {e.Message}{tail}", e);
        }
    }

    private void Stop()
    {
        try
        {
            Run(_bin, "pg_ctl", "-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already gone; the folder is removed anyway.
        }
        TryDelete(_dir);
    }

    // Clusters of test runs that were killed before they could stop theirs.
    private static void StopAbandoned(string bin)
    {
        foreach (var dir in Directory.GetDirectories(Path.GetTempPath(), Prefix + "*"))
        {
            var owner = Path.Combine(dir, "owner.pid");
            if (!File.Exists(owner) || !int.TryParse(File.ReadAllText(owner), out var pid) || IsAlive(pid)) continue;
            try
            {
                if (File.Exists(Path.Combine(dir, "data", "postmaster.pid"))) Run(bin, "pg_ctl", "-D", Path.Combine(dir, "data"), "-m", "immediate", "-w", "stop");
            }
            catch (InvalidOperationException)
            {
                // Not running.
            }
            TryDelete(dir);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // The server may still be removing its socket and pid files as we delete: try a few times.
    private static void TryDelete(string dir)
    {
        for (var attempt = 0; attempt < 5 && Directory.Exists(dir); attempt++)
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static void Run(string bin, string tool, params string[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (IsRoot)
        {
            start.FileName = "runuser";
            foreach (var a in (string[])["-u", "nobody", "--"]) start.ArgumentList.Add(a);
            start.ArgumentList.Add(Path.Combine(bin, tool));
        }
        else start.FileName = Path.Combine(bin, tool);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start");
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{tool} did not finish in 120 s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{tool} failed (exit {p.ExitCode}): {error.Result.Trim()} {output.Result.Trim()}");
    }
}
