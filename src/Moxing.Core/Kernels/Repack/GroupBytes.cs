namespace Moxing.Core.Kernels.Repack;

/// <summary>The one copy the eight-row layouts' packing and unpacking share.</summary>
internal static unsafe class GroupBytes
{
    /// <summary>Copies <paramref name="bytes"/> from the file's field to its place in a group (<paramref name="pack"/>) or back.</summary>
    public static void Copy(byte* file, byte* packed, int bytes, bool pack)
    {
        if (pack) Buffer.MemoryCopy(file, packed, bytes, bytes);
        else Buffer.MemoryCopy(packed, file, bytes, bytes);
    }
}
