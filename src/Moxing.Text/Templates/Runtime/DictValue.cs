namespace Moxing.Text.Templates.Runtime;

/// <summary>An insertion-ordered Python dict keyed by hashable values (1, 1.0 and True are one key).</summary>
internal sealed class DictValue : Value
{
    private readonly List<Value> _keys = [];
    private readonly List<Value> _values = [];
    private readonly Dictionary<Value, int> _index = new(PythonEquality.KeyComparer);

    public int Count => _keys.Count;
    public IReadOnlyList<Value> Keys => _keys;
    public IReadOnlyList<Value> Values => _values;
    public override string TypeName => "dict";
    public override bool IsTruthy => _keys.Count > 0;

    public void Set(Value key, Value value)
    {
        PythonEquality.EnsureHashable(key);
        if (_index.TryGetValue(key, out var i)) _values[i] = value;
        else
        {
            _index[key] = _keys.Count;
            _keys.Add(key);
            _values.Add(value);
        }
    }

    public void Set(string key, Value value) => Set(new StringValue(key), value);

    public bool TryGet(Value key, out Value value)
    {
        if (PythonEquality.IsHashable(key) && _index.TryGetValue(key, out var i))
        {
            value = _values[i];
            return true;
        }
        value = null!;
        return false;
    }

    public bool TryGet(string key, out Value value) => TryGet(new StringValue(key), out value);

    public bool ContainsKey(Value key)
    {
        PythonEquality.EnsureHashable(key);
        return _index.ContainsKey(key);
    }

    public IEnumerable<KeyValuePair<Value, Value>> Pairs()
    {
        for (var i = 0; i < _keys.Count; i++) yield return new(_keys[i], _values[i]);
    }

    public DictValue Copy()
    {
        var copy = new DictValue();
        for (var i = 0; i < _keys.Count; i++) copy.Set(_keys[i], _values[i]);
        return copy;
    }
}
