using Orleans;

namespace Runtime.Grains.Cluster;

/// <summary>
/// A silo's grain calls that fail because PostgreSQL is out of reach answer
/// <see cref="DatabaseUnavailableException"/>: Npgsql's exceptions have no Orleans codec, so the caller
/// would get a CodecNotFoundException instead of the reason (and the Api a 500 instead of a 503).
/// </summary>
public sealed class DatabaseOutageFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (e is not DatabaseUnavailableException && DatabaseUnavailableException.IsOutage(e))
        {
            throw new DatabaseUnavailableException($"The database did not answer {context.InterfaceName}.{context.MethodName}: {e.GetBaseException().Message}");
        }
    }
}
