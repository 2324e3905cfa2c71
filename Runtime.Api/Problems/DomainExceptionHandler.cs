using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Runtime.Grains;

namespace Runtime.Api.Problems;

/// <summary>
/// The one mapping from exceptions to ProblemDetails: not found 404, conflict and illegal transition
/// 409, version mismatch 412, validation 400 with every field, unreadable request 400, the database
/// out of reach 503 (with Retry-After), anything else a 500 that names the trace id and nothing more.
/// </summary>
internal sealed partial class DomainExceptionHandler(IProblemDetailsService problems, ILogger<DomainExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        var problem = exception switch
        {
            ValidationException v => new ValidationProblemDetails(v.Errors.ToDictionary(e => e.Key, e => e.Value))
            {
                Status = StatusCodes.Status400BadRequest,
                Type = Problems.TypePrefix + v.Kind,
                Title = v.Title,
                Detail = v.Detail,
            },
            DomainException d => Map(d),
            BadHttpRequestException b => Problems.Create(b.StatusCode, "bad-request", "Unreadable request", Describe(b)),
            _ when DatabaseUnavailableException.IsOutage(exception) => Problems.Create(StatusCodes.Status503ServiceUnavailable, "database-unavailable", "Database unavailable",
                "Runtime's database does not answer just now (restarting or failing over). Retry in a few seconds; a change whose answer was lost may or may not have been made, so read before repeating it."),
            _ => null,
        };
        if (problem?.Status == StatusCodes.Status503ServiceUnavailable)
        {
            LogDatabaseUnavailable(http.Request.Method, http.Request.Path, exception.Message);
            http.Response.Headers.RetryAfter = "2";
        }
        if (problem is null)
        {
            LogUnhandled(exception, http.Request.Method, http.Request.Path);
            problem = Problems.Create(StatusCodes.Status500InternalServerError, "internal", "Unexpected error",
                "Runtime hit an unexpected error; nothing was changed by this request unless its response said so. Operators can find the cause in the logs by the traceId.");
        }
        http.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    private static ProblemDetails Map(DomainException e)
    {
        var status = e switch
        {
            NotFoundException => StatusCodes.Status404NotFound,
            VersionMismatchException => StatusCodes.Status412PreconditionFailed,
            _ => StatusCodes.Status409Conflict,
        };
        var problem = Problems.Create(status, e.Kind, e.Title, e.Detail);
        switch (e)
        {
            case IllegalTransitionException t:
                problem.Extensions["currentState"] = t.CurrentState;
                problem.Extensions["operation"] = t.Operation;
                break;
            case VersionMismatchException v:
                problem.Extensions["currentVersion"] = v.Actual;
                break;
            case Agents.EnvironmentNotReadyException n:
                problem.Extensions["checks"] = n.Report.Checks;
                break;
        }
        return problem;
    }

    // The framework's messages name the parameter; the inner JSON error names the path and line.
    private static string Describe(BadHttpRequestException e) =>
        e.InnerException is System.Text.Json.JsonException json
            ? $"The request body is not valid JSON for this endpoint: {json.Message}"
            : e.Message;

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database did not answer {Method} {Path}: {Reason}")]
    private partial void LogDatabaseUnavailable(string method, string path, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
