namespace Runtime.Grains.Storage;

/// <summary>Files only their owner may read (mode 0600): tokens, keys, passwords.</summary>
public static class PrivateFile
{
    /// <summary>Writes <paramref name="text"/> to a new 0600 file, replacing any older one.</summary>
    public static void Write(string path, string text)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.Delete(path);
        using var writer = new StreamWriter(new FileStream(path, CreateNew()));
        writer.Write(text);
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

    private static FileStreamOptions CreateNew()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }
}
