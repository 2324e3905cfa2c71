using System.Runtime.InteropServices;

namespace Runtime.Execution.Files;

/// <summary>Files only their owner may read (mode 0600): tokens, keys, passwords, workload records.</summary>
public static class PrivateFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Writes <paramref name="text"/> whole: to a new 0600 file beside it, then renamed over any older one,
    /// so a reader never sees half of it. Without <paramref name="createFolder"/> a missing folder throws.
    /// </summary>
    public static void Write(string path, string text, bool createFolder = true)
    {
        if (createFolder)
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var writer = new StreamWriter(new FileStream(temporary, CreateNew())))
            writer.Write(text);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// The file's trimmed content, creating it (0600) with <paramref name="make"/> when missing. When several
    /// processes race, the first one to publish wins and every one of them reads its content; none sees the file
    /// empty or half written.
    /// </summary>
    public static string ReadOrCreate(string path, Func<string> make)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
            Publish(path, make() + "\n");
        return File.ReadAllText(path).Trim();
    }

    /// <summary>A folder only its owner may enter (0700).</summary>
    public static void CreateFolder(string path) => Directory.CreateDirectory(path, OwnerOnly | UnixFileMode.UserExecute);

    // Written whole to a file of our own, then given the name with link(2), which fails with EEXIST if the name is
    // taken: a reader finds the name only once the content is complete, and a second creator cannot replace the first.
    // Not File.Move(overwrite: false): on Unix it checks that the target is missing and then renames, and two creators
    // passing that check together would each rename, and whoever read the first content would disagree with the file.
    private static void Publish(string path, string text)
    {
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, CreateNew()))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
                // On disk before the name points at it, so a crash cannot leave the name on an empty file.
                stream.Flush(flushToDisk: true);
            }
            if (link(temporary, path) == 0 || Marshal.GetLastPInvokeError() == EEXIST)
                return;
            // A file system without hard links (FAT, some network mounts): the move still never shows a partial file,
            // though two creators in the same instant could each get their own content there.
            try
            {
                File.Move(temporary, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process published first; its content wins.
            }
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private const int EEXIST = 17;

    [DllImport("libc", SetLastError = true)]
    private static extern int link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string created);

    private static FileStreamOptions CreateNew() => new() { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly };
}
