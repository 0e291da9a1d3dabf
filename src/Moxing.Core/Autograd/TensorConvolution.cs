using System.Numerics.Tensors;

namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>2-D convolution of x [N, C, H, W] with weight [O, C/groups, kh, kw] and optional bias [O] (PyTorch's F.conv2d), by im2col and GEMM.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, (int H, int W)? stride = null, (int H, int W)? padding = null,
        (int H, int W)? dilation = null, int groups = 1)
    {
        if (weight.Rank != 4) throw new ArgumentException($"Conv2d weight must be [O, C/groups, kh, kw], got {Shapes.Format(weight.Shape)}");
        var geo = Conv2dGeometry.Of(x, weight.Shape[2], weight.Shape[3], stride ?? (1, 1), padding ?? (0, 0), dilation ?? (1, 1), "Conv2d");
        var outChannels = weight.Shape[0];
        if (groups <= 0 || geo.Channels % groups != 0 || outChannels % groups != 0 || weight.Shape[1] != geo.Channels / groups)
            throw new ArgumentException($"Conv2d: input channels {geo.Channels}, weight {Shapes.Format(weight.Shape)} and groups {groups} do not fit");
        if (bias != null && bias.Count != outChannels) throw new ArgumentException($"Conv2d bias has {bias.Count} values, expected {outChannels}");
        var conv = new ConvPlan(geo, outChannels, groups);
        var output = Uninitialized(geo.Batch, outChannels, geo.OutHeight, geo.OutWidth);
        var parallel = geo.Batch > 1;
        conv.ForEachSample(parallel, n =>
        {
            var cols = new float[conv.ColsLength];
            var y = output._data.AsSpan(n * outChannels * geo.OutPlane, outChannels * geo.OutPlane);
            for (var g = 0; g < groups; g++)
            {
                geo.Im2Col(x._data.AsSpan((n * geo.Channels + g * conv.InPerGroup) * geo.Plane, conv.InPerGroup * geo.Plane), conv.InPerGroup, cols);
                Gemm.Multiply(weight._data.AsSpan(g * conv.OutPerGroup * conv.Patch, conv.OutPerGroup * conv.Patch), false, cols, false,
                    y.Slice(g * conv.OutPerGroup * geo.OutPlane, conv.OutPerGroup * geo.OutPlane), conv.OutPerGroup, geo.OutPlane, conv.Patch,
                    accumulate: false, parallel: !parallel);
            }
            if (bias != null)
                for (var o = 0; o < outChannels; o++)
                {
                    var plane = y.Slice(o * geo.OutPlane, geo.OutPlane);
                    TensorPrimitives.Add(plane, bias._data[o], plane);
                }
        });
        return Record(output, [x, weight, bias], static (node, g) => ((ConvPlan)node.Saved!).Backward(node, g), conv);
    }

    /// <summary>Sizes of one convolution, and its backward pass.</summary>
    private sealed class ConvPlan(Conv2dGeometry geo, int outChannels, int groups)
    {
        public int InPerGroup { get; } = geo.Channels / groups;
        public int OutPerGroup { get; } = outChannels / groups;
        public int Patch { get; } = geo.Channels / groups * geo.KernelH * geo.KernelW;
        public int ColsLength => Patch * geo.OutPlane;

        public void ForEachSample(bool parallel, Action<int> body)
        {
            if (parallel) Parallel.For(0, geo.Batch, body);
            else for (var n = 0; n < geo.Batch; n++) body(n);
        }

        public void Backward(GradNode node, ReadOnlySpan<float> gradient)
        {
            Tensor x = node.Inputs[0], w = node.Inputs[1];
            var g = gradient.ToArray();
            var outPlane = geo.OutPlane;
            if (node.Needs(2))
            {
                var db = node.GradOf(2);
                for (var n = 0; n < geo.Batch; n++)
                    for (var o = 0; o < outChannels; o++) db[o] += TensorPrimitives.Sum(g.AsSpan((n * outChannels + o) * outPlane, outPlane));
            }
            bool needX = node.Needs(0), needW = node.Needs(1);
            if (!needX && !needW) return;
            var dx = needX ? node.Inputs[0].GradSpan().ToArray() : null;
            var dw = needW ? new float[w.Count] : null;
            var gate = new object();
            var parallel = geo.Batch > 1;
            Parallel.For(0, geo.Batch, new ParallelOptions { MaxDegreeOfParallelism = parallel ? -1 : 1 },
                () => (Cols: new float[ColsLength], Dw: needW ? new float[w.Count] : null),
                (n, _, local) =>
                {
                    for (var gi = 0; gi < groups; gi++)
                    {
                        var gOut = g.AsSpan((n * outChannels + gi * OutPerGroup) * outPlane, OutPerGroup * outPlane);
                        var wg = w._data.AsSpan(gi * OutPerGroup * Patch, OutPerGroup * Patch);
                        var planes = (n * geo.Channels + gi * InPerGroup) * geo.Plane;
                        if (needW)
                        {
                            geo.Im2Col(x._data.AsSpan(planes, InPerGroup * geo.Plane), InPerGroup, local.Cols);
                            Gemm.Multiply(gOut, false, local.Cols, true, local.Dw.AsSpan(gi * OutPerGroup * Patch, OutPerGroup * Patch),
                                OutPerGroup, Patch, outPlane, accumulate: true, parallel: !parallel);
                        }
                        if (needX)
                        {
                            Gemm.Multiply(wg, true, gOut, false, local.Cols, Patch, outPlane, OutPerGroup, accumulate: false, parallel: !parallel);
                            geo.Col2Im(local.Cols, InPerGroup, dx.AsSpan(planes, InPerGroup * geo.Plane));
                        }
                    }
                    return local;
                },
                local =>
                {
                    if (local.Dw == null) return;
                    lock (gate) TensorPrimitives.Add(dw, local.Dw, dw);
                });
            if (dx != null) dx.CopyTo(node.GradOf(0));
            if (dw != null) node.Inputs[1].AccumulateGrad(dw);
        }
    }
}
