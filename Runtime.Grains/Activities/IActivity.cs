using Microsoft.Extensions.DependencyInjection;

namespace Runtime.Grains.Activities;

/// <summary>
/// Slow work a grain asked for (git fetch, image build, drift computation), run by a silo outside
/// any grain lock. Delivery is at-least-once: a handler reports its result with a grain call that
/// is idempotent (it checks the grain's state or an attempt id).
/// </summary>
public interface IActivity<in TPayload>
{
    Task RunAsync(TPayload payload, ActivityRun run, CancellationToken cancellationToken);
}

/// <summary>What an activity run knows about itself.</summary>
/// <param name="Grain">The grain that started the activity, to report back to.</param>
/// <param name="Attempt">1 on the first run, higher on retries after a failure or a lost silo.</param>
/// <param name="Cluster">The Orleans grain factory, when the activity runs on Orleans (<see cref="Engine.ActivityWorker"/>).</param>
public sealed record ActivityRun(long Id, GrainId Grain, int Attempt, IGrainFactory Grains, Orleans.IGrainFactory? Cluster = null);

/// <summary>Activity kinds known to this process: payload type to kind name and handler.</summary>
public sealed class ActivityRegistry(IEnumerable<ActivityRegistration> registrations)
{
    private readonly Dictionary<Type, ActivityRegistration> _byPayload = registrations.ToDictionary(r => r.PayloadType);
    private readonly Dictionary<string, ActivityRegistration> _byKind = registrations.ToDictionary(r => r.Kind, StringComparer.Ordinal);

    public string KindOf(Type payloadType) =>
        _byPayload.TryGetValue(payloadType, out var r) ? r.Kind
            : throw new InvalidOperationException($"No activity is registered for {payloadType.Name}; call AddActivity<{payloadType.Name}, …>().");

    public ActivityRegistration? Find(string kind) => _byKind.GetValueOrDefault(kind);
}

/// <summary>One activity kind.</summary>
public sealed class ActivityRegistration(string kind, Type payloadType, Type handlerType, Func<object, object, ActivityRun, CancellationToken, Task> run)
{
    public string Kind { get; } = kind;

    public Type PayloadType { get; } = payloadType;

    public Type HandlerType { get; } = handlerType;

    internal Task RunAsync(object handler, object payload, ActivityRun activity, CancellationToken ct) => run(handler, payload, activity, ct);
}

/// <summary>Registers activity handlers.</summary>
public static class ActivityRegistrationExtensions
{
    /// <summary>Registers <typeparamref name="THandler"/> for payloads of <typeparamref name="TPayload"/> (kind: the payload type's name).</summary>
    public static IServiceCollection AddActivity<TPayload, THandler>(this IServiceCollection services)
        where TPayload : notnull
        where THandler : class, IActivity<TPayload>
    {
        services.AddTransient<THandler>();
        services.AddSingleton(new ActivityRegistration(
            typeof(TPayload).Name, typeof(TPayload), typeof(THandler),
            (handler, payload, run, ct) => ((THandler)handler).RunAsync((TPayload)payload, run, ct)));
        return services;
    }
}
