using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Runtime.Execution.Logs;
using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;

namespace Runtime.Execution.Docker;

/// <summary>
/// Runs each workload as a container through the Docker Engine API (DESIGN §4): created from the spec
/// (<see cref="ContainerParameters"/>), started, its logs followed and demultiplexed, its end awaited and the
/// container removed. Containers carry their workload's and this agent's ids as labels, so that an agent
/// can take over the containers it finds (<see cref="AdoptAsync"/>) and remove those nobody runs any more
/// (<see cref="RemoveOrphansAsync"/>).
/// </summary>
public sealed partial class DockerExecutor(DockerEngine engine, DockerImages images, DockerExecutorSettings settings, ILogger<DockerExecutor> logger)
    : IWorkloadExecutor
{
    public const string ExecutorName = "docker";

    public string Name => ExecutorName;

    public async Task<IRunningWorkload> StartAsync(ProcessSpec spec, ILogSink sink, CancellationToken ct)
    {
        spec.Validate();
        ValidateFolders(spec);
        var image = spec.Image ?? settings.Image;
        if (spec.OutputDirectory is { } output)
            Directory.CreateDirectory(output);
        var parameters = ContainerParameters.For(spec, image, settings.AgentId);
        string id;
        try
        {
            id = (await CreateAsync(spec, parameters, sink, ct)).ID;
        }
        catch (Exception e) when (DockerEngine.IsUnreachable(e))
        {
            throw new WorkloadStartException($"Cannot start a container: {engine.Unreachable(e)}.", e);
        }
        var workload = new DockerWorkload(engine, spec, id, logger);
        try
        {
            await engine.Client.Containers.StartContainerAsync(id, new ContainerStartParameters(), ct);
        }
        catch (OperationCanceledException)
        {
            await workload.RemoveAsync();
            throw;
        }
        catch (Exception e) when (e is DockerApiException || DockerEngine.IsUnreachable(e))
        {
            await workload.RemoveAsync();
            throw new WorkloadStartException($"Docker could not start the container of {spec.Id}: {Message(e)}", e);
        }
        workload.Watch(sink, since: null);
        LogStarted(spec.Id, workload.Handle.ToString(), image, parameters.HostConfig.NetworkMode);
        return workload;
    }

    public async Task<IRunningWorkload?> AdoptAsync(ProcessSpec spec, WorkloadHandle handle, ILogSink sink, CancellationToken ct)
    {
        if (handle.Executor != ExecutorName)
            throw new ArgumentException($"The handle is of the {handle.Executor} executor, not of the {ExecutorName} executor.", nameof(handle));
        if (string.IsNullOrEmpty(handle.ContainerId))
            return null;
        ContainerInspectResponse container;
        try
        {
            container = await engine.Client.Containers.InspectContainerAsync(handle.ContainerId, ct);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (DockerEngine.IsUnreachable(e))
        {
            throw new WorkloadStartException($"Cannot adopt {handle}: {engine.Unreachable(e)}.", e);
        }
        var labels = container.Config?.Labels ?? new Dictionary<string, string>();
        if (!labels.TryGetValue(ContainerLabels.Workload, out var workloadId) || workloadId != spec.Id)
        {
            // Not this workload's container (the record is stale): someone else's, left alone.
            LogNotOurs(spec.Id, handle.ToString(), workloadId ?? "none");
            return null;
        }
        var workload = new DockerWorkload(engine, spec, container.ID, logger);
        if (container.State?.Running != true)
        {
            // It ended while no agent watched: nothing to take over, nothing to keep.
            await workload.RemoveAsync();
            LogGoneOnAdoption(spec.Id, handle.ToString(), container.State?.Status ?? "unknown");
            return null;
        }
        // Lines from now on: those logged before were the previous agent's to ship.
        workload.Watch(sink, since: DateTimeOffset.UtcNow);
        LogAdopted(spec.Id, handle.ToString());
        return workload;
    }

    /// <summary>
    /// Removes the containers this agent started whose workload is not in <paramref name="running"/> (left
    /// behind by a crash of the agent); run at the agent's start, once it knows what it still runs. Returns
    /// the ids of the workloads whose containers were removed.
    /// </summary>
    public async Task<IReadOnlyList<string>> RemoveOrphansAsync(IReadOnlySet<string> running, CancellationToken ct)
    {
        var containers = await engine.Client.Containers.ListContainersAsync(new ContainersListParameters
        {
            All = true,
            Filters = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{ContainerLabels.Agent}={settings.AgentId}"] = true },
            },
        }, ct);
        var removed = new List<string>();
        foreach (var container in containers)
        {
            var workloadId = (container.Labels is { } labels && labels.TryGetValue(ContainerLabels.Workload, out var id) ? id : "");
            if (running.Contains(workloadId))
                continue;
            try
            {
                await engine.Client.Containers.RemoveContainerAsync(container.ID, new ContainerRemoveParameters { Force = true, RemoveVolumes = true }, ct);
            }
            catch (DockerContainerNotFoundException)
            {
            }
            removed.Add(workloadId);
            LogOrphanRemoved(workloadId, WorkloadHandle.ForContainer(container.ID).ToString(), container.State);
        }
        return removed;
    }

    private async Task<CreateContainerResponse> CreateAsync(ProcessSpec spec, CreateContainerParameters parameters, ILogSink sink, CancellationToken ct)
    {
        try
        {
            return await engine.Client.Containers.CreateContainerAsync(parameters, ct);
        }
        catch (DockerImageNotFoundException)
        {
            // The one slow path: the image is checked (and built) only when the engine says it is missing.
            await images.EnsureAsync(parameters.Image, settings.AutoBuildImage,
                line => sink.Write(new LogLine(spec.Id, "stderr", DateTimeOffset.UtcNow, line)), ct);
            LogImageBuilt(spec.Id, parameters.Image);
        }
        catch (DockerApiException e)
        {
            throw new WorkloadStartException($"Docker refused the container of {spec.Id}: {Message(e)}", e);
        }
        try
        {
            return await engine.Client.Containers.CreateContainerAsync(parameters, ct);
        }
        catch (DockerApiException e)
        {
            throw new WorkloadStartException($"Docker refused the container of {spec.Id}: {Message(e)}", e);
        }
    }

    // A container's folders are mounted at their own paths: "/" would be the whole host, and /tmp is the container's own tmpfs.
    private static void ValidateFolders(ProcessSpec spec)
    {
        foreach (var (folder, name) in new[] { (spec.WorkingDirectory, nameof(spec.WorkingDirectory)), (spec.OutputDirectory, nameof(spec.OutputDirectory)) })
        {
            if (folder is not null && Path.GetFullPath(folder).TrimEnd('/') is "" or "/tmp")
                throw new ArgumentException($"The {(name == nameof(spec.WorkingDirectory) ? "working" : "output")} directory of a container cannot be '{folder}': it is mounted at its own path.", name);
        }
        if (!Directory.Exists(spec.WorkingDirectory))
            throw new ArgumentException($"The working directory '{spec.WorkingDirectory}' does not exist.", nameof(spec.WorkingDirectory));
    }

    // The engine's own words, without the JSON around them.
    private static string Message(Exception e)
    {
        if (e is not DockerApiException { ResponseBody: { Length: > 0 } body })
            return e.Message;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(body);
            if (document.RootElement.TryGetProperty("message", out var message) && message.GetString() is { } text)
                return text;
        }
        catch (System.Text.Json.JsonException)
        {
        }
        return body.Trim();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId}: started {Container} from {Image} (network {Network})")]
    private partial void LogStarted(string workloadId, string container, string image, string network);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId}: adopted {Container}, still running")]
    private partial void LogAdopted(string workloadId, string container);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workload {WorkloadId}: {Container} had ended ({Status}) before it could be adopted; removed it")]
    private partial void LogGoneOnAdoption(string workloadId, string container, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: {Container} belongs to workload {Other}, not adopted")]
    private partial void LogNotOurs(string workloadId, string container, string other);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: removed its orphaned {Container} ({State}), which no workload of this agent runs")]
    private partial void LogOrphanRemoved(string workloadId, string container, string state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workload {WorkloadId}: the image {Image} was missing and has been built")]
    private partial void LogImageBuilt(string workloadId, string image);
}
