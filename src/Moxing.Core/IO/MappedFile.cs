using System.IO.MemoryMappedFiles;

namespace Moxing.Core.IO;

/// <summary>A whole file mapped read-only into memory; the pointer is acquired once and stays valid until disposal.</summary>
public sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private byte* _pointer;

    private MappedFile(string path, long length, MemoryMappedFile map, MemoryMappedViewAccessor view)
    {
        FilePath = path;
        Length = length;
        _map = map;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        // The view may start before the requested offset when the OS rounds it down to a page.
        _pointer = p + view.PointerOffset;
    }

    /// <summary>The path the file was opened with.</summary>
    public string FilePath { get; }

    /// <summary>Size of the file in bytes (always greater than zero).</summary>
    public long Length { get; }

    /// <summary>Pointer to the first byte of the file.</summary>
    public byte* Pointer => _pointer != null ? _pointer : throw new ObjectDisposedException(FilePath);

    /// <summary>Maps <paramref name="path"/> read-only; a missing, unreadable or empty file is an <see cref="InvalidModelFileException"/>.</summary>
    public static MappedFile Open(string path)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidModelFileException(path, $"cannot open the file ({e.Message})", e);
        }

        MemoryMappedFile? map = null;
        try
        {
            var length = stream.Length;
            if (length == 0) throw new InvalidModelFileException(path, "the file is empty (0 bytes)");
            map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new MappedFile(path, length, map, view);
        }
        catch (IOException e)
        {
            map?.Dispose();
            stream.Dispose();
            throw new InvalidModelFileException(path, $"cannot map the file into memory ({e.Message})", e);
        }
        catch
        {
            map?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>The bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>); the range must lie inside the file.</summary>
    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset > Length - length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"range [{offset}, +{length}) is outside the {Length}-byte file {FilePath}");
        return new ReadOnlySpan<byte>(Pointer + offset, length);
    }

    /// <summary>Unmaps the file; pointers into it become invalid.</summary>
    public void Dispose()
    {
        if (_pointer == null) return;
        _pointer = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
