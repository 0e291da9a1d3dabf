using Moxing.Core;
using Moxing.Core.Autograd;
using Moxing.Core.Formats.Safetensors;
using Moxing.Core.Tensors;
using Moxing.Nn.Attention;
using Moxing.Nn.Layers;
using Moxing.Nn.Modules;
using Moxing.Nn.Recurrent;

namespace Moxing.Nn.Tests;

public sealed class ModuleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("moxing-nn-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<string> Names(Module m) => [.. m.NamedParameters().Select(p => p.Name)];

    [Fact]
    public void SequentialNamesFollowPyTorch()
    {
        var net = new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU(), new Flatten(), new Linear(4, 2));
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.bias", "4.weight", "4.bias"], Names(net));
        Assert.Equal(["1.running_mean", "1.running_var", "1.num_batches_tracked"], net.NamedBuffers().Select(b => b.Name));
        Assert.Equal(4 * 9 + 4 + 4 + 4 + 8 + 2, net.ParameterCount());
    }

    [Fact]
    public void RecurrentNamesFollowPyTorch()
    {
        var lstm = new LSTM(3, 5, numLayers: 2, bidirectional: true);
        var names = Names(lstm);
        Assert.Equal(16, names.Count);
        Assert.Equal(["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l0_reverse"], names.Take(5));
        Assert.Contains("bias_hh_l1_reverse", names);
        var w = lstm.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal([20, 3], w["weight_ih_l0"].Shape);
        Assert.Equal([20, 10], w["weight_ih_l1"].Shape);
        Assert.Equal([15, 5], new GRU(4, 5).NamedParameters().First(p => p.Name == "weight_hh_l0").Parameter.Shape);
    }

    [Fact]
    public void TransformerNamesFollowPyTorch()
    {
        var enc = new TransformerEncoderLayer(new TransformerOptions(8, 2, 16));
        Assert.Equal(["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
            "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"], Names(enc));
        var dec = Names(new TransformerDecoderLayer(new TransformerOptions(8, 2, 16)));
        Assert.Contains("multihead_attn.in_proj_weight", dec);
        Assert.Contains("norm3.bias", dec);
    }

    [Fact]
    public void DefaultInitializationHasPyTorchBounds()
    {
        var linear = new Linear(100, 50, rng: new Random(1));
        var bound = 1f / MathF.Sqrt(100);
        Assert.All(linear.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.True(linear.Weight.ToArray().Max() > 0.9f * bound);
        var conv = new Conv2d(3, 8, 3, rng: new Random(1));
        Assert.All(conv.Bias!.ToArray(), v => Assert.InRange(v, -1f / MathF.Sqrt(27), 1f / MathF.Sqrt(27)));
        var mha = new MultiheadAttention(8, 2, rng: new Random(1));
        Assert.All(mha.InProjBias!.ToArray(), v => Assert.Equal(0f, v));
        Assert.All(mha.InProjWeight.ToArray(), v => Assert.InRange(v, -MathF.Sqrt(6f / 32), MathF.Sqrt(6f / 32)));
        var same = new Linear(100, 50, rng: new Random(1));
        Assert.Equal(linear.Weight.ToArray(), same.Weight.ToArray());
    }

    [Fact]
    public void StateDictRoundTripsThroughSafetensors()
    {
        var path = Path.Combine(_dir, "model.safetensors");
        var net = new Sequential(new Linear(3, 4), new BatchNorm1d(4));
        net.Forward(Tensor.Uniform(new Random(1), -1, 1, 5, 3));
        net.Save(path);
        using (var file = SafetensorsFile.Open(path))
        {
            Assert.Equal(DType.I64, file.Find("1.num_batches_tracked")!.Type);
            Assert.Equal(DType.F32, file.Find("0.weight")!.Type);
        }
        var copy = new Sequential(new Linear(3, 4), new BatchNorm1d(4));
        copy.Load(path);
        foreach (var ((_, a, _), (_, b, _)) in net.StateDict().Zip(copy.StateDict())) Assert.Equal(a.ToArray(), b.ToArray());
        Assert.Equal(1f, ((BatchNorm1d)copy.Layers[1]).BatchesTracked!.Item());
    }

    [Fact]
    public void LoadingReportsMissingUnexpectedAndMisshapenTensors()
    {
        var path = Path.Combine(_dir, "small.safetensors");
        new Linear(3, 4).Save(path);
        var e = Assert.Throws<InvalidModelFileException>(() => new Linear(3, 5).Load(path));
        Assert.Contains("weight", e.Message);
        Assert.Contains("[4, 3]", e.Message);
        Assert.Throws<InvalidModelFileException>(() => new Sequential(new Linear(3, 4)).Load(path));
        Assert.Throws<InvalidModelFileException>(() => new Linear(3, 4, bias: false).Load(path));
        new Linear(3, 4, bias: false).Load(path, strict: false);
    }

    [Fact]
    public void EvalModeReachesChildrenAndChangesBehaviour()
    {
        var bn = new BatchNorm1d(2);
        var net = new Sequential(new Dropout(0.5f, new Random(1)), bn);
        var x = Tensor.Uniform(new Random(2), 1, 2, 8, 2);
        net.Eval();
        Assert.False(bn.Training);
        var y = net.Forward(x);
        // Eval: running stats are the initial 0/1, dropout is off, so y ≈ x / sqrt(1 + eps).
        for (var i = 0; i < x.Count; i++) Assert.Equal(x.Data[i] / MathF.Sqrt(1 + 1e-5f), y.Data[i], 5);
        Assert.Equal(0f, bn.BatchesTracked!.Item());
        net.Train();
        net.Forward(x);
        Assert.Equal(1f, bn.BatchesTracked!.Item());
        Assert.NotEqual(0f, bn.RunningMean!.Data[0]);
    }

    [Fact]
    public void BidirectionalRecurrenceRunsBackwardsInTime()
    {
        var rnn = new RNN(2, 3, bidirectional: true, batchFirst: true, rng: new Random(4));
        var x = Tensor.Uniform(new Random(5), -1, 1, 1, 4, 2);
        var full = rnn.Forward(x);
        Assert.Equal([1, 4, 6], full.Output.Shape);
        Assert.Equal([2, 1, 3], full.Hidden.Shape);
        // The reverse direction's output at the last step only depends on the last input.
        var last = rnn.Forward(x.Narrow(1, 3, 1));
        for (var j = 3; j < 6; j++) Assert.Equal(last.Output.At(0, 0, j), full.Output.At(0, 3, j), 6);
        for (var j = 0; j < 3; j++) Assert.Equal(full.Output.At(0, 3, j), full.Hidden.At(0, 0, j), 6);
        for (var j = 0; j < 3; j++) Assert.Equal(full.Output.At(0, 0, 3 + j), full.Hidden.At(1, 0, j), 6);
    }

    [Fact]
    public void SequenceFirstLayoutMatchesBatchFirst()
    {
        var a = new LSTM(3, 4, numLayers: 2, batchFirst: true, rng: new Random(1));
        var b = new LSTM(3, 4, numLayers: 2, batchFirst: false, rng: new Random(1));
        var x = Tensor.Uniform(new Random(2), -1, 1, 2, 5, 3);
        var ya = a.Forward(x);
        var yb = b.Forward(x.Transpose(0, 1));
        OpsFixture.AssertClose("lstm", ya.Output, yb.Output.Transpose(0, 1), 1e-6);
        OpsFixture.AssertClose("cell", ya.Cell!, yb.Cell!, 1e-6);
        var m1 = new MultiheadAttention(8, 2, batchFirst: true, rng: new Random(3));
        var m2 = new MultiheadAttention(8, 2, batchFirst: false, rng: new Random(3));
        var s = Tensor.Uniform(new Random(4), -1, 1, 2, 5, 8);
        OpsFixture.AssertClose("mha", m1.Forward(s, causal: true), m2.Forward(s.Transpose(0, 1), causal: true).Transpose(0, 1), 1e-5);
    }

    [Fact]
    public void CrossAttentionUsesSeparateProjectionsAndPaddingMask()
    {
        var mha = new MultiheadAttention(4, 1, batchFirst: true, rng: new Random(1));
        var q = Tensor.Uniform(new Random(2), -1, 1, 1, 2, 4);
        var mem = Tensor.Uniform(new Random(3), -1, 1, 1, 3, 4);
        var masked = mha.Forward(q, mem, mem, keyPaddingMask: [false, false, true]);
        var truncated = mha.Forward(q, mem.Narrow(1, 0, 2), mem.Narrow(1, 0, 2));
        OpsFixture.AssertClose("padding", truncated, masked, 1e-6);
        var packed = mha.Forward(q);
        var separate = mha.Forward(q, q.Clone(), q.Clone());
        OpsFixture.AssertClose("packed", packed, separate, 1e-6);
    }

    [Fact]
    public void AttentionHeadsMayHaveTheirOwnWidth()
    {
        // Three 4-wide heads in an 8-wide model: q/k/v are 12 wide, out_proj reads 12.
        var wide = new MultiheadAttention(8, 3, batchFirst: true, rng: new Random(1), headDim: 4);
        Assert.Equal([36, 8], wide.InProjWeight.Shape);
        Assert.Equal([8, 12], wide.OutProj.Weight.Shape);
        var x = Tensor.Uniform(new Random(2), -1, 1, 2, 5, 8);
        OpsFixture.AssertClose("packed", wide.Forward(x, causal: true), wide.Forward(x, x.Clone(), x.Clone(), causal: true), 1e-6);
        wide.Forward(x).Sum().Backward();
        Assert.All(wide.Parameters(), p => Assert.NotNull(p.Grad));

        // Two of its heads alone equal all three with the third's out_proj columns zeroed.
        var two = new MultiheadAttention(8, 2, batchFirst: true, rng: new Random(3), headDim: 4);
        for (var part = 0; part < 3; part++)
        {
            wide.InProjWeight.Data.Slice(part * 96, 64).CopyTo(two.InProjWeight.Data.Slice(part * 64));
            wide.InProjBias!.Data.Slice(part * 12, 8).CopyTo(two.InProjBias!.Data.Slice(part * 8));
        }
        for (var r = 0; r < 8; r++)
        {
            wide.OutProj.Weight.Data.Slice(r * 12, 8).CopyTo(two.OutProj.Weight.Data.Slice(r * 8));
            wide.OutProj.Weight.Data.Slice(r * 12 + 8, 4).Clear();
        }
        wide.OutProj.Bias!.Data.CopyTo(two.OutProj.Bias!.Data);
        OpsFixture.AssertClose("two heads", wide.Forward(x, causal: true), two.Forward(x, causal: true), 1e-6);
        Assert.Throws<ArgumentException>(() => new MultiheadAttention(8, 2, headDim: 0));
        Assert.Throws<ArgumentException>(() => new MultiheadAttention(8, 3));
    }

    [Fact]
    public void TransformerLayersRunForwardAndBackward()
    {
        var options = new TransformerOptions(8, 2, 16, Dropout: 0.1f, Gelu: true, BatchFirst: true, NormFirst: true);
        var enc = new TransformerEncoderLayer(options, new Random(1));
        var dec = new TransformerDecoderLayer(options with { NormFirst = false }, new Random(2));
        var src = Tensor.Uniform(new Random(3), -1, 1, 2, 5, 8);
        var tgt = Tensor.Uniform(new Random(4), -1, 1, 2, 3, 8);
        var memory = enc.Forward(src);
        var y = dec.Forward(tgt, memory);
        Assert.Equal([2, 3, 8], y.Shape);
        y.Sum().Backward();
        Assert.All(enc.Parameters().Concat(dec.Parameters()), p => Assert.NotNull(p.Grad));
        // Causal decoding: in eval mode, the first target position does not depend on later ones.
        dec.Eval();
        enc.Eval();
        var a = dec.Forward(tgt, memory);
        var changed = tgt.Clone();
        changed.Data[^1] += 1f;
        var b = dec.Forward(changed, memory);
        for (var j = 0; j < 8; j++) Assert.Equal(a.At(0, 0, j), b.At(0, 0, j), 5);
    }
}
