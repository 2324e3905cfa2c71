using Microsoft.Extensions.Configuration;
using Runtime.Grains.Activities;
using Runtime.Grains.Secrets;
using Runtime.Grains.Sources;

namespace Runtime.Grains.Projects;

/// <summary>Fetches a project's branch with its deploy key, outside the grain's lock, and reports back.</summary>
public sealed class FetchSourceActivity(GitFetcher fetcher, SecretCipher cipher, IConfiguration configuration) : IActivity<FetchSource>
{
    /// <summary><c>Runtime:Git:AllowLocalRepositories</c>: accept file:// and absolute paths (on-prem mirrors, tests).</summary>
    public const string AllowLocalKey = "Runtime:Git:AllowLocalRepositories";

    public async Task RunAsync(FetchSource payload, ActivityRun run, CancellationToken cancellationToken)
    {
        var project = run.Grains.GetGrain<IProjectGrain>(payload.ProjectId);
        var privateKey = cipher.Decrypt(payload.EncryptedPrivateKey, DeployKeyContext(payload.ProjectId));
        FetchedRevision revision;
        try
        {
            revision = await fetcher.FetchAsync(new GitFetchRequest(payload.RepositoryUrl, payload.Branch, privateKey, payload.Path,
                configuration.GetValue<bool>(AllowLocalKey)), cancellationToken);
        }
        catch (GitException e)
        {
            await project.SourceFailed(payload.OperationId, e.Failure, e.Message);
            return;
        }
        catch (ValidationException e)
        {
            await project.SourceFailed(payload.OperationId, GitFailure.Other, e.Message);
            return;
        }
        await project.SourceFetched(payload.OperationId, revision);
    }

    /// <summary>The associated data a project's encrypted deploy key is bound to.</summary>
    public static string DeployKeyContext(Guid projectId) => $"project/{projectId:D}/deploy-key";
}
