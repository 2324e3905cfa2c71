using Runtime.Api.Auth;
using Runtime.Grains.Pipelines;

namespace Runtime.Api.Endpoints;

/// <summary>
/// Pipeline telemetry: a run posts its pipelines' load reports with its own token (RUNTIME_RUN_TOKEN,
/// valid for that run until it ends); the workspace sees them aggregated per pipeline and per dataset.
/// </summary>
public static class PipelineEndpoints
{
    public static WebApplication MapPipelineReports(this WebApplication app)
    {
        // Outside the /api group: the caller is a run holding its run token, not a member with an API token.
        app.MapPost("/api/runs/{run:guid}/pipeline-runs", Report).AllowAnonymous().WithName("ReportPipelineRun").WithTags("Pipelines")
            .WithSummary("A run reports a pipeline run (pipeline, destination, dataset, tables with rows and bytes, start, end, status), authenticated with its RUNTIME_RUN_TOKEN");
        return app;
    }

    public static RouteGroupBuilder MapPipelineEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet($"/workspaces/{{{Access.WorkspaceParameter}}}/pipelines",
                (HttpContext http, PipelineStore pipelines) => pipelines.PipelinesAsync(http.User.Caller().WorkspaceId, http.RequestAborted))
            .WithName("ListPipelines").WithTags("Pipelines")
            .WithSummary("Each pipeline the workspace's runs reported: runs, success rate, rows loaded, last seen, recent durations");
        api.MapGet($"/workspaces/{{{Access.WorkspaceParameter}}}/datasets",
                (HttpContext http, PipelineStore pipelines) => pipelines.DatasetsAsync(http.User.Caller().WorkspaceId, http.RequestAborted))
            .WithName("ListDatasets").WithTags("Pipelines").WithSummary("Each dataset the workspace's runs loaded into, with its tables and rows");
        return api;
    }

    private static async Task<IResult> Report(Guid run, PipelineReport? report, HttpContext http, PipelineStore pipelines)
    {
        string? header = http.Request.Headers.Authorization;
        var token = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
        if (token is null || await pipelines.RunOfTokenAsync(run, token, http.RequestAborted) is not { } owner)
        {
            return TypedResults.Problem(Problems.Problems.Unauthorized(
                "Send the run's own token as 'Authorization: Bearer $RUNTIME_RUN_TOKEN'; it is valid for that run only, until it ends."));
        }
        var id = await pipelines.AddAsync(owner, report!, http.RequestAborted);
        return TypedResults.Created($"/api/runs/{run}/pipeline-runs/{id}", new { id });
    }
}
