using Microsoft.Extensions.Logging;
using Npgsql;
using Runtime.Grains.Tokens;
using Runtime.Grains.Workspaces;

namespace Runtime.Grains.Identity;

/// <summary>The outcome of <see cref="IdentityBootstrap.EnsureAsync"/>; <see cref="OwnerToken"/> is set only on the run that created it.</summary>
public sealed record BootstrapResult(Guid WorkspaceId, string WorkspaceSlug, string? OwnerToken);

/// <summary>
/// On a new database, creates the default workspace, its Owner and an Owner token. Safe to call from
/// every process at every start: an advisory lock makes one of them do it, the others see it done.
/// </summary>
public sealed partial class IdentityBootstrap(NpgsqlDataSource dataSource, Orleans.IGrainFactory grains, ILogger<IdentityBootstrap> logger)
{
    public const string DefaultSlug = "default";
    public const string OwnerEmail = "owner@localhost";

    private const long AdvisoryLockKey = 0x52554e54494d46;

    public async Task<BootstrapResult> EnsureAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        try
        {
            await using (var find = new NpgsqlCommand("SELECT key, slug FROM workspaces ORDER BY created_at LIMIT 1", connection))
            await using (var reader = await find.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken))
                    return new BootstrapResult(Guid.Parse(reader.GetString(0)), reader.GetString(1), null);
            }

            var workspaceId = Guid.CreateVersion7();
            var ownerId = Guid.CreateVersion7();
            await grains.GetGrain<IWorkspaceGrain>(workspaceId)
                .Create("Default", DefaultSlug, new NewMember(ownerId, OwnerEmail, "Owner", Role.Owner));
            var (secret, hash, prefix) = ApiTokens.Create();
            await grains.GetGrain<ITokenGrain>(Guid.CreateVersion7())
                .Issue(new IssueToken(workspaceId, ownerId, "bootstrap owner token", hash, prefix, null));
            LogCreated(DefaultSlug, workspaceId, prefix);
            return new BootstrapResult(workspaceId, DefaultSlug, secret);
        }
        finally
        {
            await using var unlock = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            unlock.Parameters.Add(new NpgsqlParameter { Value = AdvisoryLockKey });
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Writes the token to a file only its owner can read (0600), replacing any older one.</summary>
    public static void WriteTokenFile(string path, string token) => Runtime.Execution.Files.PrivateFile.Write(path, token + "\n");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Created workspace '{Slug}' ({WorkspaceId}) with an Owner token {Prefix}…; keep that token safe, it is shown only once")]
    private partial void LogCreated(string slug, Guid workspaceId, string prefix);
}
