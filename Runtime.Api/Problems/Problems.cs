using Microsoft.AspNetCore.Mvc;

namespace Runtime.Api.Problems;

/// <summary>Builds RFC 9457 problems with Runtime's stable type URIs (<c>urn:runtime:problem:&lt;kind&gt;</c>).</summary>
public static class Problems
{
    public const string TypePrefix = "urn:runtime:problem:";

    public static ProblemDetails Create(int status, string kind, string title, string detail) => new()
    {
        Status = status,
        Type = TypePrefix + kind,
        Title = title,
        Detail = detail,
    };

    public static ProblemDetails Unauthorized(string detail) =>
        Create(StatusCodes.Status401Unauthorized, "unauthorized", "Authentication required", detail);

    public static ProblemDetails Forbidden(string detail) =>
        Create(StatusCodes.Status403Forbidden, "forbidden", "Not allowed", detail);
}
