using Moxing.Core.Autograd;
using Moxing.Core.Formats.Safetensors;
using Moxing.Nn.Modules;
using Moxing.Tests;

namespace Moxing.Nn.Tests;

/// <summary>Reads tests/fixtures/hf/ops: per op inputs, parameters, outputs, upstream gradients and reference gradients.</summary>
internal sealed class OpsFixture : IDisposable
{
    private readonly SafetensorsFile _file = SafetensorsFile.Open(Fixtures.Path("hf", "ops", "ops.safetensors"));

    public Tensor Get(string name) => Tensor.FromStored(_file.Find(name) ?? throw new KeyNotFoundException(name));

    public bool Has(string name) => _file.Find(name) != null;

    public int[] Indices(string name) => Tensor.IndicesFromStored(_file.Find(name) ?? throw new KeyNotFoundException(name));

    /// <summary>Input <paramref name="name"/> of <paramref name="op"/>, requiring grad when the fixture has its gradient.</summary>
    public Tensor Input(string op, string name)
    {
        var t = Get($"{op}.in.{name}");
        if (Has($"{op}.grad.in.{name}")) t.RequireGrad();
        return t;
    }

    /// <summary>Copies the fixture's parameters into the module by PyTorch name.</summary>
    public void LoadParameters(string op, Module module)
    {
        foreach (var (name, p) in module.NamedParameters())
            Get($"{op}.param.{name}").Data.CopyTo(p.Data);
    }

    /// <summary>Runs backward with the fixture's upstream gradient and checks the output and every reference gradient.</summary>
    public void Verify(string op, Tensor output, Module? module = null, params (string Name, Tensor Tensor)[] inputs)
    {
        AssertClose($"{op}.out0", Get($"{op}.out0"), output);
        output.Backward(Get($"{op}.upstream0"));
        foreach (var (name, t) in inputs)
            AssertClose($"{op}.grad.in.{name}", Get($"{op}.grad.in.{name}"), t.Grad ?? throw new Xunit.Sdk.XunitException($"{name} got no gradient"));
        if (module == null) return;
        foreach (var (name, p) in module.NamedParameters())
            AssertClose($"{op}.grad.param.{name}", Get($"{op}.grad.param.{name}"), p.Grad ?? throw new Xunit.Sdk.XunitException($"{name} got no gradient"));
    }

    /// <summary>Max |actual − expected| relative to max |expected| must be at most 1e-4.</summary>
    public static void AssertClose(string what, Tensor expected, Tensor actual, double tolerance = 1e-4)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: {actual.Count} values, expected {expected.Count}");
        double maxDiff = 0, maxRef = 0;
        for (var i = 0; i < expected.Count; i++)
        {
            maxDiff = Math.Max(maxDiff, Math.Abs(actual.Data[i] - expected.Data[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected.Data[i]));
        }
        var relative = maxDiff / Math.Max(maxRef, 1e-12);
        Assert.True(relative <= tolerance, $"{what}: relative error {relative:E2} (max diff {maxDiff:E2}, max |ref| {maxRef:E2})");
    }

    public void Dispose() => _file.Dispose();
}
