using Runtime.Api.Problems;
using Runtime.Grains;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Auth;

/// <summary>Declares the least role an endpoint needs; without it GET and HEAD need Viewer, everything else Member.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RequiresRoleAttribute(Role role) : Attribute
{
    public Role Role { get; } = role;
}

/// <summary>The authorisation every /api endpoint goes through: workspace scope first (404), then role (403).</summary>
public static class Access
{
    /// <summary>Route parameter that names a workspace by slug or id.</summary>
    public const string WorkspaceParameter = "workspace";

    /// <summary>Requires at least <paramref name="role"/> on this endpoint.</summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, Role role) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiresRoleAttribute(role));

    /// <summary>
    /// The filter added to the /api group. A token sees one workspace: any other workspace, existing
    /// or not, is a 404, so a token cannot even learn which workspaces exist.
    /// </summary>
    public static async ValueTask<object?> Authorize(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Items[typeof(Caller)] is not Caller caller)
            return await next(context);

        if (http.Request.RouteValues.TryGetValue(WorkspaceParameter, out var value) && value is string workspace
            && workspace != caller.WorkspaceSlug && !(Guid.TryParse(workspace, out var id) && id == caller.WorkspaceId))
        {
            throw new NotFoundException("workspace", workspace);
        }

        var required = http.GetEndpoint()?.Metadata.GetMetadata<RequiresRoleAttribute>()?.Role
            ?? (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) ? Role.Viewer : Role.Member);
        if (!caller.Role.Includes(required))
        {
            return TypedResults.Problem(Problems.Problems.Forbidden(
                $"This needs the {required} role; your token is a {caller.Role}'s. Ask a workspace Owner."));
        }
        return await next(context);
    }
}
