using System.Runtime.InteropServices;

namespace Moxing.Server.Store;

/// <summary>Hard links (one file's bytes under two names, no copy) with a copy where the file system cannot link.</summary>
internal static partial class FileLinks
{
    /// <summary>Makes <paramref name="destination"/> (which must not exist) a hard link to <paramref name="source"/>; false when the file system refuses.</summary>
    public static bool TryHardLink(string source, string destination)
    {
        try
        {
            return OperatingSystem.IsWindows() ? CreateHardLinkW(destination, source, IntPtr.Zero) : link(source, destination) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Hard-links <paramref name="source"/> to <paramref name="destination"/>, or copies it when linking is impossible (another volume).</summary>
    public static void LinkOrCopy(string source, string destination)
    {
        if (TryHardLink(source, destination)) return;
        if (File.Exists(destination)) throw new IOException($"{destination}: already exists");
        File.Copy(source, destination);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string oldPath, string newPath);

    [LibraryImport("kernel32", EntryPoint = "CreateHardLinkW", StringMarshalling = StringMarshalling.Utf16, SetLastError = true)]
    [return: MarshalAs(UnmanagedType.Bool)]
    private static partial bool CreateHardLinkW(string newFileName, string existingFileName, IntPtr securityAttributes);
}
