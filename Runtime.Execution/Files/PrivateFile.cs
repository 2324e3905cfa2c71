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
    /// The file's trimmed content, creating it (0600) with <paramref name="make"/> when missing. When
    /// several processes race, the first one's content wins and every one of them reads it.
    /// </summary>
    public static string ReadOrCreate(string path, Func<string> make)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            try
            {
                using var writer = new StreamWriter(new FileStream(path, CreateNew()));
                writer.WriteLine(make());
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first; use theirs.
            }
        }
        return File.ReadAllText(path).Trim();
    }

    /// <summary>A folder only its owner may enter (0700).</summary>
    public static void CreateFolder(string path) => Directory.CreateDirectory(path, OwnerOnly | UnixFileMode.UserExecute);

    private static FileStreamOptions CreateNew() => new() { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly };
}
