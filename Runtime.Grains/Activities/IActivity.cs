using Microsoft.Extensions.DependencyInjection;

namespace Runtime.Grains.Activities;

/// <summary>
/// Slow work a grain asked for (git fetch, image build, drift computation), run by an
/// <see cref="Engine.ActivityWorker"/> outside any grain's turn. Delivery is at-least-once: a handler
/// reports its result with a grain call that is idempotent (it checks the grain's state or an operation id).
/// </summary>
public interface IActivity<in TPayload>
{
    Task RunAsync(TPayload payload, ActivityRun run, CancellationToken cancellationToken);
}

/// <summary>What an activity run knows about itself.</summary>
/// <param name="Grain">The grain that started the activity, to report back to.</param>
/// <param name="Grains">The grain factory, to report back with.</param>
public sealed record ActivityRun(GrainId Grain, Orleans.IGrainFactory Grains);

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
