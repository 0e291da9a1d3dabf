namespace Moxing.Core.Autograd;

public sealed partial class Tensor
{
    /// <summary>2-D max pooling over [N, C, H, W] (padding counts as −∞); the gradient goes to each window's first maximum.</summary>
    public Tensor MaxPool2d((int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null, (int H, int W)? dilation = null)
    {
        var geo = Conv2dGeometry.Of(this, kernel.H, kernel.W, stride ?? kernel, padding ?? (0, 0), dilation ?? (1, 1), "MaxPool2d");
        if (geo.PadH * 2 > kernel.H || geo.PadW * 2 > kernel.W) throw new ArgumentException("MaxPool2d: padding must be at most half the kernel");
        var planes = geo.Batch * geo.Channels;
        var output = Uninitialized(geo.Batch, geo.Channels, geo.OutHeight, geo.OutWidth);
        var argmax = new int[output.Count];
        for (var p = 0; p < planes; p++)
        {
            var src = _data.AsSpan(p * geo.Plane, geo.Plane);
            for (var y = 0; y < geo.OutHeight; y++)
                for (var x = 0; x < geo.OutWidth; x++)
                {
                    var best = float.NegativeInfinity;
                    var arg = -1;
                    for (var i = 0; i < geo.KernelH; i++)
                    {
                        var iy = y * geo.StrideH - geo.PadH + i * geo.DilationH;
                        if ((uint)iy >= (uint)geo.Height) continue;
                        for (var j = 0; j < geo.KernelW; j++)
                        {
                            var ix = x * geo.StrideW - geo.PadW + j * geo.DilationW;
                            if ((uint)ix >= (uint)geo.Width) continue;
                            var v = src[iy * geo.Width + ix];
                            if (arg < 0 || v > best || float.IsNaN(v))
                            {
                                best = v;
                                arg = iy * geo.Width + ix;
                            }
                        }
                    }
                    var o = (p * geo.OutHeight + y) * geo.OutWidth + x;
                    output._data[o] = best;
                    argmax[o] = p * geo.Plane + arg;
                }
        }
        return Record(output, this, static (n, g) =>
        {
            var argmax = (int[])n.Saved!;
            var dx = n.GradOf(0);
            for (var o = 0; o < argmax.Length; o++) dx[argmax[o]] += g[o];
        }, argmax);
    }

    /// <summary>2-D average pooling over [N, C, H, W]; zero padding counts in the divisor unless <paramref name="countIncludePad"/> is false.</summary>
    public Tensor AvgPool2d((int H, int W) kernel, (int H, int W)? stride = null, (int H, int W)? padding = null, bool countIncludePad = true)
    {
        var geo = Conv2dGeometry.Of(this, kernel.H, kernel.W, stride ?? kernel, padding ?? (0, 0), (1, 1), "AvgPool2d");
        return WindowAverage(geo, (y, x) =>
        {
            int y0 = y * geo.StrideH - geo.PadH, x0 = x * geo.StrideW - geo.PadW;
            int y1 = Math.Min(y0 + geo.KernelH, geo.Height + geo.PadH), x1 = Math.Min(x0 + geo.KernelW, geo.Width + geo.PadW);
            var padded = (y1 - y0) * (x1 - x0);
            y0 = Math.Max(y0, 0);
            x0 = Math.Max(x0, 0);
            y1 = Math.Min(y1, geo.Height);
            x1 = Math.Min(x1, geo.Width);
            return (y0, y1, x0, x1, countIncludePad ? padded : (y1 - y0) * (x1 - x0));
        });
    }

    /// <summary>Average pooling to a fixed output size (PyTorch's adaptive_avg_pool2d windows: floor(i·H/out) to ceil((i+1)·H/out)).</summary>
    public Tensor AdaptiveAvgPool2d(int outHeight, int outWidth)
    {
        if (Rank != 4) throw new ArgumentException($"AdaptiveAvgPool2d expects [N, C, H, W] input, got {Shapes.Format(Shape)}");
        if (outHeight <= 0 || outWidth <= 0) throw new ArgumentException("AdaptiveAvgPool2d output size must be positive");
        var geo = new Conv2dGeometry(Shape[0], Shape[1], Shape[2], Shape[3], Shape[2] - outHeight + 1, Shape[3] - outWidth + 1, 1, 1, 0, 0, 1, 1);
        int h = Shape[2], w = Shape[3];
        return WindowAverage(geo, (y, x) =>
        {
            int y0 = y * h / outHeight, y1 = ((y + 1) * h + outHeight - 1) / outHeight;
            int x0 = x * w / outWidth, x1 = ((x + 1) * w + outWidth - 1) / outWidth;
            return (y0, y1, x0, x1, (y1 - y0) * (x1 - x0));
        });
    }

    /// <summary>Averages the window <paramref name="window"/>(y, x) gives for each output position: rows y0..y1, columns x0..x1, divided by a count.</summary>
    private Tensor WindowAverage(Conv2dGeometry geo, Func<int, int, (int Y0, int Y1, int X0, int X1, int Divisor)> window)
    {
        int oh = geo.OutHeight, ow = geo.OutWidth;
        var windows = new (int Y0, int Y1, int X0, int X1, int Divisor)[oh * ow];
        for (var y = 0; y < oh; y++)
            for (var x = 0; x < ow; x++) windows[y * ow + x] = window(y, x);
        var planes = geo.Batch * geo.Channels;
        var output = Uninitialized(geo.Batch, geo.Channels, oh, ow);
        for (var p = 0; p < planes; p++)
        {
            var src = _data.AsSpan(p * geo.Plane, geo.Plane);
            for (var o = 0; o < windows.Length; o++)
            {
                var (y0, y1, x0, x1, divisor) = windows[o];
                var sum = 0f;
                for (var iy = y0; iy < y1; iy++)
                    for (var ix = x0; ix < x1; ix++) sum += src[iy * geo.Width + ix];
                output._data[p * windows.Length + o] = sum / divisor;
            }
        }
        return Record(output, this, static (n, g) =>
        {
            var (geo, windows) = ((Conv2dGeometry, (int Y0, int Y1, int X0, int X1, int Divisor)[]))n.Saved!;
            var dx = n.GradOf(0);
            var planes = geo.Batch * geo.Channels;
            for (var p = 0; p < planes; p++)
            {
                var plane = dx.Slice(p * geo.Plane, geo.Plane);
                for (var o = 0; o < windows.Length; o++)
                {
                    var (y0, y1, x0, x1, divisor) = windows[o];
                    var share = g[p * windows.Length + o] / divisor;
                    for (var iy = y0; iy < y1; iy++)
                        for (var ix = x0; ix < x1; ix++) plane[iy * geo.Width + ix] += share;
                }
            }
        }, (geo, windows));
    }
}
