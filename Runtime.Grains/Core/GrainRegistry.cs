using Microsoft.Extensions.DependencyInjection;

namespace Runtime.Grains;

/// <summary>Every grain type this process knows, by interface and by type name.</summary>
public sealed class GrainRegistry
{
    private readonly Dictionary<Type, GrainRegistration> _byInterface = [];
    private readonly Dictionary<string, GrainRegistration> _byName = new(StringComparer.Ordinal);

    public GrainRegistry(IEnumerable<GrainRegistration> registrations)
    {
        foreach (var registration in registrations)
        {
            if (!_byName.TryAdd(registration.TypeName, registration))
                throw new InvalidOperationException($"Two grain types are named '{registration.TypeName}'.");
            _byInterface.Add(registration.Interface, registration);
        }
    }

    public IEnumerable<GrainRegistration> All => _byName.Values;

    public GrainRegistration Get(Type grainInterface) =>
        _byInterface.TryGetValue(grainInterface, out var r) ? r
            : throw new InvalidOperationException($"No grain is registered for {grainInterface.Name}; call AddGrain<{grainInterface.Name}, …>().");

    public GrainRegistration? Find(string typeName) => _byName.GetValueOrDefault(typeName);
}

/// <summary>Registers grain types with dependency injection.</summary>
public static class GrainRegistrationExtensions
{
    /// <summary>Registers grain class <typeparamref name="TGrain"/> for <typeparamref name="TInterface"/>, stored in <paramref name="table"/>.</summary>
    /// <param name="announceChanges">Whether each committed write notifies <see cref="Channels.Changes"/>, for caches of the grain's state elsewhere.</param>
    public static IServiceCollection AddGrain<TInterface, TGrain>(this IServiceCollection services, string typeName, string table, bool announceChanges = false)
        where TInterface : IGrain
        where TGrain : class, TInterface
    {
        services.AddSingleton(new GrainRegistration(typeof(TInterface), typeof(TGrain), typeName, table) { AnnouncesChanges = announceChanges });
        return services;
    }
}
