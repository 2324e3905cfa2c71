namespace Runtime.Execution.Docker;

/// <summary>What the docker executor needs beyond each spec.</summary>
/// <param name="AgentId">Labels every container it starts (<c>runtime.agent</c>), for the orphan sweep.</param>
/// <param name="Image">The image of a spec that names none.</param>
/// <param name="AutoBuildImage">Whether a missing runtime-python image is built on the first start that needs it (minutes) rather than failing that start.</param>
public sealed record DockerExecutorSettings(string AgentId, string Image = ExecutionImages.Default, bool AutoBuildImage = false);

/// <summary>The image names Runtime knows.</summary>
public static class ExecutionImages
{
    /// <summary>What <c>images/runtime-python/build-runtime.sh</c> builds: Debian's Python with the packages the templates need.</summary>
    public const string Default = "runtime-python:latest";

    /// <summary>The repository name of the images the build script can make.</summary>
    public const string RuntimePython = "runtime-python";
}
