namespace Moxing.Text.Templates.Runtime;

/// <summary>Evaluated call arguments, bound to Python-style signatures by name and position.</summary>
internal sealed class Arguments(List<Value> positional, List<KeyValuePair<string, Value>> named)
{
    public static Arguments Empty { get; } = new([], []);

    public List<Value> Positional { get; } = positional;
    public List<KeyValuePair<string, Value>> Named { get; } = named;
    public bool IsEmpty => Positional.Count == 0 && Named.Count == 0;

    public static Arguments Of(params Value[] positional) => new([.. positional], []);

    /// <summary>Binds to parameters <paramref name="names"/>; unbound ones are null.</summary>
    public Value?[] Bind(string function, params string[] names)
    {
        if (Positional.Count > names.Length)
            throw new TemplateException($"{function}() takes at most {names.Length} argument{(names.Length == 1 ? "" : "s")} ({Positional.Count} given)");
        var bound = new Value?[names.Length];
        for (var i = 0; i < Positional.Count; i++) bound[i] = Positional[i];
        foreach (var (name, value) in Named)
        {
            var index = Array.IndexOf(names, name);
            if (index < 0) throw new TemplateException($"{function}() got an unexpected keyword argument '{name}'");
            if (bound[index] is not null) throw new TemplateException($"{function}() got multiple values for argument '{name}'");
            bound[index] = value;
        }
        return bound;
    }

    public void ExpectNone(string function)
    {
        if (!IsEmpty) Bind(function);
    }

    /// <summary>Checks that no arguments were passed to <paramref name="function"/> and returns <paramref name="result"/>.</summary>
    public T NoArgs<T>(string function, T result)
    {
        ExpectNone(function);
        return result;
    }

    /// <summary>The arguments after the first <paramref name="count"/> positional ones.</summary>
    public Arguments Skip(int count) => new(Positional.Count > count ? Positional[count..] : [], Named);
}
