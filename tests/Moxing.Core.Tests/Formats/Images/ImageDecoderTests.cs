using Moxing.Core.Formats.Images;
using Moxing.Tests;

namespace Moxing.Core.Tests.Formats.Images;

public class ImageDecoderTests
{
    [Theory]
    [InlineData(0, false, false)]
    [InlineData(4, false, false)]
    [InlineData(5, false, false)]
    [InlineData(5, true, false)]
    [InlineData(5, false, true)]
    [InlineData(2, true, true)]
    public void PngDecodesToItsPixels(int filter, bool alpha, bool interlaced)
    {
        var rgb = TestPng.Pixels(23, 17);
        var image = ImageDecoder.Decode(TestPng.Encode(23, 17, rgb, alpha, filter, interlaced));
        Assert.Equal((23, 17), (image.Width, image.Height));
        Assert.Equal(rgb, image.Pixels);
    }

    [Theory]
    [InlineData(false, false, 0)]
    [InlineData(false, true, 0)]
    [InlineData(true, false, 0)]
    [InlineData(true, true, 0)]
    [InlineData(false, true, 3)]
    [InlineData(true, true, 2)]
    public void JpegDecodesToTheEncodedPixelsWithinIdctRounding(bool progressive, bool subsample, int restart)
    {
        const int width = 37, height = 29;
        var rgb = TestPng.Pixels(width, height, seed: 3);
        var image = ImageDecoder.Decode(TestJpeg.Encode(width, height, rgb, progressive, subsample, restart));
        Assert.Equal((width, height), (image.Width, image.Height));
        var expected = TestJpeg.Expected(width, height, rgb, subsample);
        var worst = expected.Zip(image.Pixels, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 2, $"largest difference {worst} levels");
        // Not a blank image: the decoded pixels follow the source within the quantizer's error (subsampled chroma blurs the checker).
        var fromSource = rgb.Zip(image.Pixels, (e, a) => Math.Abs(e - a)).Average();
        Assert.True(fromSource < (subsample ? 30 : 4), $"mean difference from the source {fromSource:F2} levels");
    }

    [Fact]
    public void ProgressiveAndBaselineGiveTheSameImage()
    {
        var rgb = TestPng.Pixels(40, 24, seed: 5);
        var baseline = ImageDecoder.Decode(TestJpeg.Encode(40, 24, rgb, progressive: false, subsample: true));
        var progressive = ImageDecoder.Decode(TestJpeg.Encode(40, 24, rgb, progressive: true, subsample: true));
        Assert.Equal(baseline.Pixels, progressive.Pixels);
    }

    [Fact]
    public void UnknownFormatsAreNamed()
    {
        Assert.Contains("GIF", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode("GIF89a...."u8)).Message);
        Assert.Contains("WebP", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode("RIFF\0\0\0\0WEBPVP8 "u8)).Message);
        Assert.Contains("no bytes", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode([])).Message);
    }

    [Fact]
    public void TruncatedImagesAreRefused()
    {
        var png = TestPng.Encode(16, 16, TestPng.Pixels(16, 16));
        var jpeg = TestJpeg.Encode(16, 16, TestPng.Pixels(16, 16), progressive: true);
        foreach (var cut in new[] { 10, 40, png.Length - 20 })
            Assert.Contains("truncated", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png.AsSpan(0, cut))).Message);
        foreach (var cut in new[] { 5, 100, jpeg.Length - 4 })
            Assert.Contains("truncated", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(jpeg.AsSpan(0, cut))).Message);
    }

    [Fact]
    public void HugeDimensionsAreRefusedBeforeAllocating()
    {
        // A 60000 × 60000 header over a few bytes of data: refused by the pixel bound, not by running out of memory.
        var png = TestPng.Encode(1, 1, [1, 2, 3]);
        png[16] = png[20] = 0;
        png[17] = png[21] = 0;
        (png[18], png[19], png[22], png[23]) = (0xEA, 0x60, 0xEA, 0x60);
        Assert.Contains("60000 × 60000", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(png)).Message);
        var jpeg = TestJpeg.Encode(8, 8, TestPng.Pixels(8, 8));
        var at = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        (jpeg[at + 5], jpeg[at + 6], jpeg[at + 7], jpeg[at + 8]) = (0xFF, 0xFF, 0xFF, 0xFF);
        Assert.Contains("exceeds the limit", Assert.Throws<InvalidImageException>(() => ImageDecoder.Decode(jpeg, maxPixels: 1 << 20)).Message);
    }

    [Fact]
    public void CorruptPngDataIsNamed()
    {
        var png = TestPng.Encode(16, 16, TestPng.Pixels(16, 16));
        var idat = png.AsSpan().IndexOf("IDAT"u8);
        png[idat + 4] ^= 0xFF;
        Assert.IsType<InvalidImageException>(Record.Exception(() => ImageDecoder.Decode(png)));
    }
}
