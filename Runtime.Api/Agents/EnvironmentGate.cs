using Runtime.Grains;
using Runtime.Grains.Environments;
using Runtime.Grains.Projects;

namespace Runtime.Api.Agents;

/// <summary>
/// What must hold before anything is deployed or started on a project's custom environment: it is not
/// retired, it is Online and (for deploys) its checklist has no failed critical check. The built-in
/// <c>cloud</c> environment is always there.
/// </summary>
public sealed class EnvironmentGate(EnvironmentStore environments, EnvironmentValidation validation)
{
    /// <summary>Online, and its checklist passes: what a deploy needs.</summary>
    public async Task RequireValidAsync(string environment, CancellationToken ct)
    {
        await RequireOnlineAsync(environment, ct);
        if (environment != ProjectGrain.DefaultEnvironment && Guid.TryParse(environment, out var id)
            && await validation.ValidateAsync(id, ct) is { Passed: false } report)
        {
            throw new EnvironmentNotReadyException(report);
        }
    }

    public async Task RequireOnlineAsync(string environment, CancellationToken ct)
    {
        if (environment == ProjectGrain.DefaultEnvironment || !Guid.TryParse(environment, out var id))
            return;
        var status = await environments.StatusAsync(id, ct) ?? throw new ConflictException("Environment gone", $"The project's environment {environment} no longer exists; set another with PATCH (environment).");
        switch (status.Status)
        {
            case EnvironmentStatus.Retired:
                throw new ConflictException("Environment retired", $"environment {status.Name} is retired; set another environment on the project (PATCH, environment).");
            case EnvironmentStatus.Offline:
                throw new ConflictException("Environment offline",
                    $"environment {status.Name} is offline since {status.Since:u}. Start its agent (runtime-agent --api <url> --environment {id} --token <token>) " +
                    "and check GET …/environments/{name}/troubleshoot.");
        }
    }
}
