using Runtime.Execution.Agents;
using Runtime.Grains;
using Runtime.Grains.Environments;
using Runtime.Grains.Tokens;

namespace Runtime.Api.Agents;

/// <summary>An agent as the gateway knows it: the environment its token opens, and the identity it claims.</summary>
public sealed record AgentCaller(AgentCredentials Credentials, Guid AgentId);

/// <summary>
/// Authenticates the agent gateway: the environment's token (current, or rotated out within its grace)
/// as a bearer token, and the agent's identity header. A 401 never says which part was wrong.
/// </summary>
public static class AgentAuthentication
{
    public static async ValueTask<object?> Authenticate(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var header = http.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : "";
        var credentials = token.StartsWith(Endpoints.EnvironmentEndpoints.TokenPrefix, StringComparison.Ordinal)
            ? await http.RequestServices.GetRequiredService<EnvironmentStore>().ByTokenAsync(ApiTokens.Hash(token), http.RequestAborted)
            : null;
        if (credentials is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(Problems.Problems.Unauthorized(
                "Send the environment's agent token (re_…) as 'Authorization: Bearer …'. This one is not valid: wrong, revoked, or rotated out longer ago than its grace."));
        }
        if (!Guid.TryParse(http.Request.Headers[AgentGateway.AgentIdHeader], out var agentId) || agentId == Guid.Empty)
            throw new ValidationException(AgentGateway.AgentIdHeader, $"Send the agent's identity (a GUID it keeps) in the {AgentGateway.AgentIdHeader} header.");
        http.Items[typeof(AgentCaller)] = new AgentCaller(credentials, agentId);
        return await next(context);
    }

    public static AgentCaller Agent(HttpContext http) => (AgentCaller)http.Items[typeof(AgentCaller)]!;

    /// <summary>The agent, which must hold the environment: its heartbeat was accepted and it is Online.</summary>
    public static AgentCaller Holder(HttpContext http)
    {
        var agent = Agent(http);
        if (agent.Credentials.HolderAgentId != agent.AgentId || agent.Credentials.Status != EnvironmentStatus.Online)
        {
            throw new ConflictException("Not the environment's agent",
                $"Agent {agent.AgentId} does not hold environment {agent.Credentials.Name}: send a heartbeat first (another agent may hold it).");
        }
        return agent;
    }
}
