namespace Runtime.Grains.Pipelines;

/// <summary>A pipeline run as a run reports it: the shape of dlt's load trace.</summary>
public sealed record PipelineReport(
    string? PipelineName, string? DestinationType, string? DestinationName, string? Dataset, IReadOnlyList<TableLoad>? Tables,
    DateTimeOffset? StartedAt, DateTimeOffset? EndedAt, string? Status);

public sealed record TableLoad(string? Name, long? Rows, long? Bytes);

/// <summary>A pipeline as the workspace saw it in its runs' reports.</summary>
public sealed record PipelineView(
    string Name, string DestinationType, string DestinationName, string Dataset, int Runs, double SuccessRate, long RowsLoaded,
    DateTimeOffset LastSeen, string LastStatus, IReadOnlyList<double> RecentDurationsSeconds);

/// <summary>A dataset of a destination: its tables and what was loaded into them.</summary>
public sealed record DatasetView(string DestinationType, string DestinationName, string Dataset, IReadOnlyList<TableView> Tables, DateTimeOffset LastLoaded);

public sealed record TableView(string Name, long RowsLoaded, DateTimeOffset LastLoaded);

public static class PipelineReports
{
    public static readonly string[] Statuses = ["completed", "failed"];

    /// <summary>Checks a report; errors name the field.</summary>
    public static void Validate(PipelineReport? report)
    {
        var validation = new Validation();
        if (report is null)
            throw new ValidationException("body", "Send a pipeline-run report: pipelineName, destinationType, destinationName, dataset, tables, startedAt, endedAt, status.");
        static bool Named(string? value) => !string.IsNullOrWhiteSpace(value) && value.Length <= 200;
        validation.Require(Named(report.PipelineName), "pipelineName", "pipelineName is required, at most 200 characters.");
        validation.Require(Named(report.DestinationType), "destinationType", "destinationType is required (duckdb, postgres, bigquery …).");
        validation.Require(Named(report.DestinationName), "destinationName", "destinationName is required.");
        validation.Require(Named(report.Dataset), "dataset", "dataset is required.");
        validation.Require(report.StartedAt is not null, "startedAt", "startedAt is required.");
        validation.Require(report.EndedAt is not null && report.EndedAt >= report.StartedAt, "endedAt", "endedAt is required and not before startedAt.");
        validation.Require(report.Status is not null && Statuses.Contains(report.Status), "status", "status must be completed or failed.");
        var tables = report.Tables ?? [];
        validation.Require(tables.Count <= 1000, "tables", "At most 1000 tables per report.");
        for (var i = 0; i < Math.Min(tables.Count, 1000); i++)
        {
            validation.Require(Named(tables[i].Name), $"tables[{i}].name", "Each table needs a name.");
            validation.Require(tables[i].Rows is null or >= 0, $"tables[{i}].rows", "rows cannot be negative.");
            validation.Require(tables[i].Bytes is null or >= 0, $"tables[{i}].bytes", "bytes cannot be negative.");
        }
        validation.ThrowIfInvalid();
    }
}
