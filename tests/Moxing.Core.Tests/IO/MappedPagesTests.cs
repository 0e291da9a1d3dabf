using System.Runtime.InteropServices;
using Moxing.Core.IO;

namespace Moxing.Core.Tests.IO;

public sealed unsafe partial class MappedPagesTests
{
    [Fact]
    public void Prefetch_reads_a_mapped_files_evicted_pages_back_into_the_page_cache()
    {
        if (!OperatingSystem.IsLinux()) return;
        var path = Path.GetTempFileName();
        try
        {
            const int pages = 64;
            var page = Environment.SystemPageSize;
            File.WriteAllBytes(path, Enumerable.Range(0, pages * page).Select(i => (byte)i).ToArray());
            using var file = MappedFile.Open(path);
            // the written pages are clean once synced: the kernel may then drop them from the page cache when asked
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read))
            {
                Assert.Equal(0, Fsync(stream.SafeFileHandle.DangerousGetHandle().ToInt32()));
                Assert.Equal(0, Fadvise(stream.SafeFileHandle.DangerousGetHandle().ToInt32(), 0, pages * page, 4)); // POSIX_FADV_DONTNEED
            }
            if (Cached(file.Pointer, pages) == pages) return; // this file system keeps them regardless: nothing to observe
            // an unaligned start and a length ending mid-page still cover every page the range touches
            MappedPages.Prefetch(file.Pointer + 100, pages * page - 200);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Cached(file.Pointer, pages) < pages && DateTime.UtcNow < deadline) Thread.Sleep(10);
            Assert.Equal(pages, Cached(file.Pointer, pages));
            Assert.Equal((byte)(5 * page + 7), file.Pointer[5 * page + 7]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Prefetch_of_nothing_does_nothing()
    {
        var bytes = stackalloc byte[16];
        MappedPages.Prefetch(bytes, 0);
        MappedPages.Prefetch(bytes, -1);
    }

    // How many of the first `pages` pages of a mapping are in the page cache (mincore).
    private static int Cached(byte* p, int pages)
    {
        var vector = new byte[pages];
        fixed (byte* v = vector) Assert.Equal(0, Mincore((nint)p, (nuint)(pages * Environment.SystemPageSize), v));
        return vector.Count(b => (b & 1) != 0);
    }

    [LibraryImport("libc", EntryPoint = "mincore")]
    private static partial int Mincore(nint address, nuint length, byte* vector);

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int Fadvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);
}
