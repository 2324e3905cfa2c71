using Aspire.Hosting.ApplicationModel;

namespace Runtime.AppHost.Postgres;

/// <summary>
/// PostgreSQL run from the machine's server binaries as an Aspire executable resource, with the
/// connection string of Runtime's database on it, so that silos and the Api can reference and wait for it.
/// </summary>
public sealed class PostgresServerResource(string name, string command, string workingDirectory, string connectionString)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public ReferenceExpression ConnectionStringExpression { get; } = ReferenceExpression.Create($"{connectionString}");
}
