using Runtime.Execution.Files;

namespace Runtime.Execution.Agents;

/// <summary>The files a workload gets in its working directory (<see cref="AgentWorkload.Files"/>), 0600 since they may hold secrets.</summary>
public static class WorkloadFiles
{
    /// <summary>Writes each file below <paramref name="directory"/>; a path that is absolute or leaves it is refused before anything is written.</summary>
    /// <exception cref="InvalidDataException">A path is empty, absolute, or climbs out with <c>..</c>.</exception>
    public static void Write(IReadOnlyDictionary<string, string> files, string directory)
    {
        var root = Path.GetFullPath(directory).TrimEnd('/') + "/";
        var targets = files.Select(f => (Path: Resolve(root, f.Key), Text: f.Value)).ToList();
        foreach (var (path, text) in targets)
            PrivateFile.Write(path, text);
    }

    private static string Resolve(string root, string relative)
    {
        if (string.IsNullOrWhiteSpace(relative) || relative.Contains('\0', StringComparison.Ordinal))
            throw new InvalidDataException("a workload file has no name");
        if (Path.IsPathRooted(relative) || relative.StartsWith('~'))
            throw new InvalidDataException($"the workload file '{relative}' has an absolute path");
        if (relative.Split('/', '\\').Any(part => part == ".."))
            throw new InvalidDataException($"the workload file '{relative}' climbs out of the working directory");
        var full = Path.GetFullPath(Path.Combine(root, relative));
        if (!full.StartsWith(root, StringComparison.Ordinal) || full.Length == root.Length)
            throw new InvalidDataException($"the workload file '{relative}' is outside the working directory");
        // A symbolic link from the revision's archive must not carry a file elsewhere.
        for (var folder = Path.GetDirectoryName(full)!; folder.Length >= root.Length; folder = Path.GetDirectoryName(folder)!)
        {
            if (new DirectoryInfo(folder) is { Exists: true, LinkTarget: not null })
                throw new InvalidDataException($"the workload file '{relative}' would be written through a symbolic link");
        }
        return full;
    }
}
