namespace Moxing.Core.Autograd;

/// <summary>Sizes of a 2-D convolution or pooling window sweep over [N, C, H, W] input (PyTorch's output-size formula).</summary>
internal readonly record struct Conv2dGeometry(int Batch, int Channels, int Height, int Width, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    public int OutHeight => (Height + 2 * PadH - DilationH * (KernelH - 1) - 1) / StrideH + 1;
    public int OutWidth => (Width + 2 * PadW - DilationW * (KernelW - 1) - 1) / StrideW + 1;
    public int OutPlane => OutHeight * OutWidth;
    public int Plane => Height * Width;

    public static Conv2dGeometry Of(Tensor x, int kernelH, int kernelW, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation, string op)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op} expects [N, C, H, W] input, got {Shapes.Format(x.Shape)}");
        if (stride.H <= 0 || stride.W <= 0 || dilation.H <= 0 || dilation.W <= 0 || padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"{op}: stride and dilation must be positive and padding non-negative");
        var g = new Conv2dGeometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], kernelH, kernelW,
            stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);
        if (g.OutHeight <= 0 || g.OutWidth <= 0)
            throw new ArgumentException($"{op}: input {Shapes.Format(x.Shape)} is smaller than the {kernelH}×{kernelW} window");
        return g;
    }

    /// <summary>cols[(c·kh + i)·kw + j, oh·OW + ow] = x[c, oh·sh − ph + i·dh, ow·sw − pw + j·dw] (0 outside) for <paramref name="channels"/> planes.</summary>
    public void Im2Col(Span<float> planes, int channels, Span<float> cols)
    {
        cols[..(channels * KernelH * KernelW * OutPlane)].Clear();
        Transfer(planes, channels, cols, toColumns: true);
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each column entry back to the input position it was read from.</summary>
    public void Col2Im(Span<float> cols, int channels, Span<float> planes) =>
        Transfer(planes, channels, cols, toColumns: false);

    /// <summary>Visits every (column entry, input position) pair inside the image: copies into the columns, or adds back into the planes.</summary>
    private void Transfer(Span<float> planes, int channels, Span<float> cols, bool toColumns)
    {
        int oh = OutHeight, ow = OutWidth, l = OutPlane;
        for (var c = 0; c < channels; c++)
        {
            var plane = planes.Slice(c * Plane, Plane);
            for (var i = 0; i < KernelH; i++)
                for (var j = 0; j < KernelW; j++)
                {
                    var row = cols.Slice(((c * KernelH + i) * KernelW + j) * l, l);
                    for (var y = 0; y < oh; y++)
                    {
                        var iy = y * StrideH - PadH + i * DilationH;
                        if ((uint)iy >= (uint)Height) continue;
                        var line = plane.Slice(iy * Width, Width);
                        var part = row.Slice(y * ow, ow);
                        for (var x = 0; x < ow; x++)
                        {
                            var ix = x * StrideW - PadW + j * DilationW;
                            if ((uint)ix >= (uint)Width) continue;
                            if (toColumns) part[x] = line[ix];
                            else line[ix] += part[x];
                        }
                    }
                }
        }
    }
}
