using System.Globalization;
using Moxing.Core;

namespace Moxing.Cli;

/// <summary>A command-line mistake (unknown option, missing value, bad number); shown with the command's usage.</summary>
public sealed class UsageException(string message) : MoxingException(message);

/// <summary>Parsed arguments of one command: positionals, `--name value` / `--name=value` / `-x value` options and flags.</summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    // Second and later values of options given more than once; only Repeated accepts them.
    private readonly Dictionary<string, List<string?>> _repeats = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>Parses <paramref name="args"/>; <paramref name="flags"/> names the options that take no value.</summary>
    public Arguments(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        using var e = args.GetEnumerator();
        var onlyPositionals = false;
        while (e.MoveNext())
        {
            var a = e.Current;
            if (onlyPositionals || a.Length < 2 || a[0] != '-' || IsNumber(a)) { Positionals.Add(a); continue; }
            if (a == "--") { onlyPositionals = true; continue; }
            var name = a.TrimStart('-');
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq >= 0) (name, value) = (name[..eq], name[(eq + 1)..]);
            else if (!flags.Contains(name))
            {
                if (!e.MoveNext()) throw new UsageException($"option --{name} needs a value");
                value = e.Current;
            }
            if (!_options.TryAdd(name, value))
            {
                if (!_repeats.TryGetValue(name, out var more)) _repeats[name] = more = [];
                more.Add(value);
            }
        }
    }

    private static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    /// <summary>True when the flag (or option) is present.</summary>
    public bool Flag(string name) => Mark(name) && _options.ContainsKey(name);

    /// <summary>The value of an option under any of its names, or null.</summary>
    public string? Option(params string[] names)
    {
        foreach (var n in names)
        {
            Mark(n);
            if (_repeats.ContainsKey(n)) throw new UsageException($"option --{n} is given twice");
            if (_options.TryGetValue(n, out var v)) return v ?? throw new UsageException($"option --{n} needs a value");
        }
        return null;
    }

    /// <summary>Every value of an option that may be given several times (e.g. --cors-origin A --cors-origin B), in order.</summary>
    public IReadOnlyList<string> Repeated(string name)
    {
        Mark(name);
        if (!_options.TryGetValue(name, out var first)) return [];
        var all = new List<string>();
        foreach (var v in _repeats.TryGetValue(name, out var more) ? [first, .. more] : (List<string?>)[first])
            all.Add(v ?? throw new UsageException($"option --{name} needs a value"));
        return all;
    }

    /// <summary>An integer option, or <paramref name="fallback"/> when absent.</summary>
    public int Int(int fallback, params string[] names)
    {
        var s = Option(names);
        if (s == null) return fallback;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v : throw new UsageException($"--{names[0]} expects an integer, got '{s}'");
    }

    /// <summary>A float option, or <paramref name="fallback"/> when absent.</summary>
    public float Float(float fallback, params string[] names)
    {
        var s = Option(names);
        if (s == null) return fallback;
        return float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && float.IsFinite(v)
            ? v : throw new UsageException($"--{names[0]} expects a number, got '{s}'");
    }

    /// <summary>A comma-separated list of integers (e.g. --ids 1,2,3), or null when absent.</summary>
    public int[]? IntList(params string[] names)
    {
        var s = Option(names);
        if (s == null) return null;
        var parts = s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var result = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out result[i]))
                throw new UsageException($"--{names[0]} expects comma-separated integers, got '{parts[i]}'");
        return result;
    }

    /// <summary>The positional at <paramref name="index"/>, or a usage error naming <paramref name="what"/>.</summary>
    public string Required(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new UsageException($"missing {what}");

    /// <summary>Throws when an option was given that the command never asked about.</summary>
    public void RejectUnknown()
    {
        foreach (var name in _options.Keys)
            if (!_used.Contains(name)) throw new UsageException($"unknown option --{name}");
    }

    private bool Mark(string name) => _used.Add(name) || true;
}
