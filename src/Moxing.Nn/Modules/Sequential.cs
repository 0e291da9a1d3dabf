using Moxing.Core.Autograd;

namespace Moxing.Nn.Modules;

/// <summary>Layers applied in order, named 0, 1, 2, … as PyTorch's nn.Sequential.</summary>
public sealed class Sequential : Layer
{
    private readonly List<Layer> _layers = [];

    /// <summary>Chains <paramref name="layers"/>.</summary>
    public Sequential(params Layer[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    /// <summary>Appends a layer.</summary>
    public Sequential Add(Layer layer)
    {
        _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));
        return this;
    }

    /// <summary>The layers.</summary>
    public IReadOnlyList<Layer> Layers => _layers;

    /// <inheritdoc />
    public override Tensor Forward(Tensor input)
    {
        foreach (var layer in _layers) input = layer.Forward(input);
        return input;
    }
}

/// <summary>A list of child modules named 0, 1, 2, … (PyTorch's nn.ModuleList).</summary>
public sealed class ModuleList<T> : Module where T : Module
{
    private readonly List<T> _items = [];

    /// <summary>Appends a module.</summary>
    public ModuleList<T> Add(T module)
    {
        _items.Add(RegisterModule(_items.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module));
        return this;
    }

    /// <summary>The modules.</summary>
    public IReadOnlyList<T> Items => _items;

    /// <summary>Module <paramref name="index"/>.</summary>
    public T this[int index] => _items[index];

    /// <summary>Number of modules.</summary>
    public int Count => _items.Count;
}
