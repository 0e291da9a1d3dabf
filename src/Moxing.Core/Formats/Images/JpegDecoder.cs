using System.Buffers.Binary;

namespace Moxing.Core.Formats.Images;

/// <summary>
/// JPEG (ITU T.81) with Huffman coding, baseline/extended sequential and progressive, any sampling factors, restart intervals,
/// greyscale, YCbCr and Adobe RGB. Chroma is upsampled by replication; arithmetic coding, lossless and CMYK are refused by name.
/// </summary>
internal static partial class JpegDecoder
{
    public static RgbImage Decode(ReadOnlySpan<byte> data, long maxPixels)
    {
        var frame = new JpegFrame();
        var at = 2;
        while (true)
        {
            while (at < data.Length && data[at] != 0xFF) at++;
            while (at < data.Length && data[at] == 0xFF) at++;
            if (at >= data.Length) throw new InvalidImageException("JPEG image is truncated (no end-of-image marker)");
            var marker = data[at++];
            if (marker == 0xD9) break;
            if (marker is >= 0xD0 and <= 0xD7 or 0x01) continue;
            if (at + 2 > data.Length) throw new InvalidImageException($"JPEG image is truncated (marker 0x{marker:X2})");
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[at..]);
            if (length < 2 || at + length > data.Length) throw new InvalidImageException($"JPEG segment 0x{marker:X2} of {length} bytes is truncated");
            var body = data.Slice(at + 2, length - 2);
            at += length;
            switch (marker)
            {
                case 0xC0 or 0xC1 or 0xC2:
                    frame.ReadFrame(body, progressive: marker == 0xC2, maxPixels);
                    break;
                case 0xC3 or (>= 0xC5 and <= 0xC7) or (>= 0xC9 and <= 0xCB) or (>= 0xCD and <= 0xCF):
                    throw new InvalidImageException($"JPEG coding 0x{marker:X2} (lossless, hierarchical or arithmetic) is not supported; baseline and progressive Huffman JPEGs are");
                case 0xC4:
                    frame.ReadHuffman(body);
                    break;
                case 0xDB:
                    frame.ReadQuantization(body);
                    break;
                case 0xDD:
                    if (body.Length < 2) throw new InvalidImageException("JPEG DRI segment is shorter than 2 bytes");
                    frame.RestartInterval = BinaryPrimitives.ReadUInt16BigEndian(body);
                    break;
                case 0xEE:
                    // Adobe APP14: transform 0 means the three components are RGB, not YCbCr.
                    if (body.Length >= 12 && body.StartsWith("Adobe"u8)) frame.AdobeTransform = body[11];
                    break;
                case 0xDA:
                    at = frame.ReadScan(data, body, at);
                    break;
            }
        }
        return frame.ToImage();
    }
}
