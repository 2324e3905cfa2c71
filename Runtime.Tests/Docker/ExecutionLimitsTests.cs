using Runtime.Execution.Processes;
using Runtime.Execution.Workloads;
using Xunit;

namespace Runtime.Tests.Docker;

/// <summary>A project's or job's request against the operator's limits: it may tighten them and choose the executor, never loosen them.</summary>
public sealed class ExecutionLimitsTests
{
    private const long MiB = 1024 * 1024;

    private static readonly ExecutionOptions Operator = new() { MaxMemoryMb = 1024, MaxCpuPercent = 100, Timeout = TimeSpan.FromMinutes(10), TmpfsMb = 64 };

    [Fact]
    public void NothingAsked_GivesTheOperatorsLimits_AndDockerWhenEnabled()
    {
        var limits = ExecutionLimits.Combine(Operator, new ExecutionRequest(), dockerEnabled: true);

        Assert.Equal(new ExecutionLimits("docker", 1024 * MiB, 100, TimeSpan.FromMinutes(10), 64 * MiB), limits);
        Assert.Equal("process", ExecutionLimits.Combine(Operator, new ExecutionRequest(), dockerEnabled: false).Executor);
    }

    [Fact]
    public void ARequest_MayTightenEveryLimit_AndChooseTheExecutor()
    {
        var limits = ExecutionLimits.Combine(Operator, new ExecutionRequest("process", MemoryMb: 256, CpuPercent: 25, Timeout: TimeSpan.FromMinutes(1), TmpfsMb: 16), dockerEnabled: true);

        Assert.Equal(new ExecutionLimits("process", 256 * MiB, 25, TimeSpan.FromMinutes(1), 16 * MiB), limits);
    }

    [Fact]
    public void WithoutOperatorLimits_ARequestSetsItsOwn()
    {
        var limits = ExecutionLimits.Combine(new ExecutionOptions(), new ExecutionRequest(MemoryMb: 4096, CpuPercent: 150), dockerEnabled: false);

        Assert.Equal(new ExecutionLimits("process", 4096 * MiB, 150, null, 64 * MiB), limits);
    }

    [Fact]
    public void Loosening_IsAnErrorPerField_NamingTheOperatorsLimit()
    {
        var failure = Assert.Throws<ExecutionRequestException>(() => ExecutionLimits.Combine(Operator,
            new ExecutionRequest(MemoryMb: 2048, CpuPercent: 200, Timeout: TimeSpan.FromHours(1), TmpfsMb: 128), dockerEnabled: true));

        Assert.Equal(["cpuPercent", "memoryMb", "timeout", "tmpfsMb"], failure.Errors.Keys.Order());
        Assert.Equal("memoryMb asks for 2048 MiB, more than this installation's limit of 1024 MiB (EXECUTION_MAX_MEMORY_MB); a request can only lower it.", failure.Errors["memoryMb"].Single());
        Assert.Equal("cpuPercent asks for 200 % of a core, more than this installation's limit of 100 % of a core (EXECUTION_MAX_CPU_PERCENT); a request can only lower it.", failure.Errors["cpuPercent"].Single());
        Assert.Equal("timeout asks for 3600000 ms, more than this installation's limit of 600000 ms (EXECUTION_TIMEOUT_MS); a request can only lower it.", failure.Errors["timeout"].Single());
        Assert.Equal("tmpfsMb asks for 128 MiB, more than this installation's limit of 64 MiB (EXECUTION_TMPFS_MB); a request can only lower it.", failure.Errors["tmpfsMb"].Single());
    }

    [Fact]
    public void NonPositiveAmounts_AndTooLittleCpu_AreErrors()
    {
        var failure = Assert.Throws<ExecutionRequestException>(() => ExecutionLimits.Combine(Operator,
            new ExecutionRequest(MemoryMb: 0, CpuPercent: 0.5, Timeout: TimeSpan.Zero, TmpfsMb: -1), dockerEnabled: true));

        Assert.Equal("memoryMb must be positive, not 0.", failure.Errors["memoryMb"].Single());
        Assert.Equal("The CPU limit must be at least 1% of a core.", failure.Errors["cpuPercent"].Single());
        Assert.Equal("timeout must be positive, not 0.", failure.Errors["timeout"].Single());
        Assert.Equal("tmpfsMb must be positive, not -1.", failure.Errors["tmpfsMb"].Single());
    }

    [Fact]
    public void AnExecutorThisInstallationLacks_IsAnError()
    {
        var docker = Assert.Throws<ExecutionRequestException>(() => ExecutionLimits.Combine(Operator, new ExecutionRequest("docker"), dockerEnabled: false));
        var unknown = Assert.Throws<ExecutionRequestException>(() => ExecutionLimits.Combine(Operator, new ExecutionRequest("kubernetes"), dockerEnabled: true));

        Assert.Equal("The docker executor is not enabled on this installation (DOCKER_ENABLED, or no Docker engine answered).", docker.Errors["executor"].Single());
        Assert.Equal("The executor 'kubernetes' is not one of process, docker.", unknown.Errors["executor"].Single());
    }

    [Fact]
    public void TheLimits_AreAppliedToASpec()
    {
        var spec = new ProcessSpec("w", ["python3"], "/srv/w", new Dictionary<string, string>());

        var limited = new ExecutionLimits("docker", 256 * MiB, 50, TimeSpan.FromMinutes(2), 16 * MiB).ApplyTo(spec);

        Assert.Equal((256 * MiB, 50.0, TimeSpan.FromMinutes(2), 16 * MiB), (limited.MemoryLimit!.Value, limited.CpuPercent!.Value, limited.TimeLimit!.Value, limited.TmpfsSize!.Value));
        limited.Validate();
    }
}
