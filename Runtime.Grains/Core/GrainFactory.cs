namespace Runtime.Grains;

/// <summary>Hands out grain references backed by the <see cref="GrainCallExecutor"/>.</summary>
public sealed class GrainFactory(GrainCallExecutor executor) : IGrainFactory
{
    public TGrain Get<TGrain>(Guid key) where TGrain : IGrainWithGuidKey => Reference<TGrain>(key.ToString("D"));

    public TGrain Get<TGrain>(string key) where TGrain : IGrainWithStringKey
    {
        if (string.IsNullOrEmpty(key) || key.Length > 200)
            throw new ArgumentException("A grain key is 1 to 200 characters.", nameof(key));
        return Reference<TGrain>(key);
    }

    private TGrain Reference<TGrain>(string key)
    {
        var registration = executor.Registry.Get(typeof(TGrain));
        return GrainReference.Create<TGrain>(executor, registration, new GrainId(registration.TypeName, key));
    }
}
