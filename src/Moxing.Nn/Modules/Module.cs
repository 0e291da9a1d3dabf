using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;

namespace Moxing.Nn.Modules;

/// <summary>A network part owning named parameters, buffers and child modules, with PyTorch's dotted names (layers.0.weight) and train/eval mode.</summary>
public abstract class Module
{
    private readonly List<(string Name, Tensor Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value, DType StoredAs)> _buffers = [];
    private readonly List<(string Name, Module Value)> _children = [];

    /// <summary>True in training mode (dropout active, batch norm uses batch statistics).</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Adds a trainable parameter (it is marked as requiring grad).</summary>
    protected Tensor RegisterParameter(string name, Tensor value)
    {
        CheckNewName(name);
        value.RequiresGrad = true;
        _parameters.Add((name, value));
        return value;
    }

    /// <summary>Adds state that is saved and loaded but not trained (running statistics); <paramref name="storedAs"/> I64 for counters.</summary>
    protected Tensor RegisterBuffer(string name, Tensor value, DType storedAs = DType.F32)
    {
        CheckNewName(name);
        _buffers.Add((name, value, storedAs));
        return value;
    }

    /// <summary>Adds a child module whose names are prefixed with <paramref name="name"/>.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckNewName(name);
        _children.Add((name, module));
        module.Train(Training);
        return module;
    }

    private void CheckNewName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.')) throw new ArgumentException($"'{name}' is not a valid member name");
        foreach (var (n, _) in _parameters) if (n == name) throw new ArgumentException($"'{name}' is already registered");
        foreach (var (n, _, _) in _buffers) if (n == name) throw new ArgumentException($"'{name}' is already registered");
        foreach (var (n, _) in _children) if (n == name) throw new ArgumentException($"'{name}' is already registered");
    }

    /// <summary>Every parameter with its full dotted name, own parameters first, then children's in registration order.</summary>
    public IEnumerable<(string Name, Tensor Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, value) in _parameters) yield return (prefix + name, value);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedParameters(prefix + name + ".")) yield return item;
    }

    /// <summary>Every parameter (for an optimizer).</summary>
    public IReadOnlyList<Tensor> Parameters()
    {
        var list = new List<Tensor>();
        foreach (var (_, p) in NamedParameters()) list.Add(p);
        return list;
    }

    /// <summary>Every buffer with its full dotted name.</summary>
    public IEnumerable<(string Name, Tensor Buffer, DType StoredAs)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, value, type) in _buffers) yield return (prefix + name, value, type);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedBuffers(prefix + name + ".")) yield return item;
    }

    /// <summary>This module and its descendants with their dotted names ("" for this one).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix.TrimEnd('.'), this);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedModules(prefix + name + ".")) yield return item;
    }

    /// <summary>Number of trainable values.</summary>
    public long ParameterCount()
    {
        long n = 0;
        foreach (var (_, p) in NamedParameters()) n += p.Count;
        return n;
    }

    /// <summary>Sets training mode on this module and all descendants.</summary>
    public Module Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in _children) child.Train(training);
        return this;
    }

    /// <summary>Sets evaluation mode (as PyTorch's eval()).</summary>
    public Module Eval() => Train(false);

    /// <summary>Clears every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in NamedParameters()) p.ZeroGrad();
    }

    /// <summary>Parameters and buffers by name, as PyTorch's state_dict(): each with the type it is saved as.</summary>
    public IReadOnlyList<(string Name, Tensor Value, DType StoredAs)> StateDict()
    {
        var list = new List<(string, Tensor, DType)>();
        foreach (var (name, p) in NamedParameters()) list.Add((name, p, DType.F32));
        foreach (var item in NamedBuffers()) list.Add(item);
        return list;
    }

    /// <summary>Copies values from <paramref name="source"/> by name; with <paramref name="strict"/>, every entry must be present and no extra tensor may be left over.</summary>
    public void LoadStateDict(ITensorSource source, bool strict = true, string? path = null)
    {
        var file = path ?? "state dict";
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value, _) in StateDict())
        {
            var stored = source.Find(name);
            if (stored == null)
            {
                if (strict) throw new InvalidModelFileException(file, $"missing tensor '{name}'");
                continue;
            }
            used.Add(name);
            var shape = new int[stored.Shape.Length];
            for (var i = 0; i < shape.Length; i++) shape[i] = (int)Math.Min(stored.Shape[i], int.MaxValue);
            var scalarMatch = value.Rank == 0 && stored.ElementCount == 1;
            if (!scalarMatch && !Shapes.Equal(shape, value.Shape))
                throw new InvalidModelFileException(file, $"tensor '{name}' has shape [{string.Join(", ", stored.Shape)}], expected {Shapes.Format(value.Shape)}");
            Tensor.FromStored(stored).Data.CopyTo(value.Data);
        }
        if (!strict) return;
        foreach (var t in source.Tensors)
            if (!used.Contains(t.Name)) throw new InvalidModelFileException(file, $"unexpected tensor '{t.Name}'");
    }

    /// <summary>Writes the state dict to a .safetensors file.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafetensorsWriter();
        if (metadata != null) foreach (var (k, v) in metadata) writer.SetMetadata(k, v);
        foreach (var (name, value, type) in StateDict())
        {
            var shape = Array.ConvertAll(value.Shape, d => (long)d);
            if (type == DType.I64)
            {
                var bytes = new byte[value.Count * 8];
                for (var i = 0; i < value.Count; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), (long)value.Data[i]);
                writer.Add(name, DType.I64, shape, bytes);
            }
            else writer.Add(name, shape, value.Array);
        }
        writer.Write(path);
    }

    /// <summary>Loads the state dict from a .safetensors file.</summary>
    public void Load(string path, bool strict = true)
    {
        using var file = SafetensorsFile.Open(path);
        LoadStateDict(file, strict, path);
    }
}
