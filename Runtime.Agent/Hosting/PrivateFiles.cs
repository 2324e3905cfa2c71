namespace Runtime.Agent.Hosting;

/// <summary>Files only the agent's user may read (0600), written whole: to a temporary name, then renamed over the old one.</summary>
internal static class PrivateFiles
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Write(string path, string text, bool createFolder = true)
    {
        if (createFolder)
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = OwnerOnly,
        }))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A folder only the agent's user may enter (0700).</summary>
    public static void CreateFolder(string path)
    {
        Directory.CreateDirectory(path, OwnerOnly | UnixFileMode.UserExecute);
    }
}
