using Runtime.Grains;
using Runtime.Grains.Environments;
using Runtime.Grains.Projects;

namespace Runtime.Api.Agents;

/// <summary>
/// What must hold before anything is deployed or started on a project's custom environment: it is not
/// retired, and it is Online. The built-in <c>cloud</c> environment is always there.
/// </summary>
public sealed class EnvironmentGate(EnvironmentStore environments)
{
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
