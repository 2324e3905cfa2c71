using Runtime.Execution.Docker;
using Runtime.Execution.Workloads;
using Runtime.Grains;
using Runtime.Grains.Execution;

namespace Runtime.Api.Endpoints;

/// <summary>
/// A project's or job's <c>execution</c> field: <c>{ "executor": "process" | "docker", "memoryMb", "cpuPercent",
/// "tmpfsMb", "image" }</c>, every part optional. It may choose the executor and lower the operator's limits
/// (<see cref="ExecutionOptions"/>), never raise them: asking for more is a 400 naming the field and the limit.
/// </summary>
public sealed record ExecutionBody(string? Executor = null, long? MemoryMb = null, double? CpuPercent = null, long? TmpfsMb = null, string? Image = null)
{
    public const string Field = "execution";

    /// <summary>The choice to store, or null when none was given.</summary>
    /// <exception cref="ValidationException">A part is unknown, out of range, above the operator's limit, or the image is not a valid reference.</exception>
    public static ExecutionChoice? Check(ExecutionBody? body, ExecutionOptions options)
    {
        if (body is null)
            return null;
        var errors = new Dictionary<string, string[]>();
        var executor = body.Executor?.Trim().ToLowerInvariant();
        try
        {
            // The Api does not probe the engine; an agent without one fails a docker workload with that reason.
            ExecutionLimits.Combine(options, new ExecutionRequest(executor, body.MemoryMb, body.CpuPercent, null, body.TmpfsMb), dockerEnabled: options.DockerEnabled != false);
        }
        catch (ExecutionRequestException e)
        {
            foreach (var (field, messages) in e.Errors)
                errors[$"{Field}.{field}"] = messages;
        }
        var image = body.Image?.Trim();
        if (image is not null && ImageReference.TryParse(image, out var problem) is null)
            errors[$"{Field}.image"] = [$"'{image}' is not a valid image reference: {problem}."];
        if (errors.Count > 0)
            throw new ValidationException(errors);
        return new ExecutionChoice(executor, body.MemoryMb, body.CpuPercent, body.TmpfsMb, image);
    }
}
