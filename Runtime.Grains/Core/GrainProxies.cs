using System.Reflection;

namespace Runtime.Grains;

/// <summary>The object behind a grain reference: each interface call becomes one grain call.</summary>
public class GrainReference : DispatchProxy
{
    private GrainCallExecutor _executor = null!;
    private GrainRegistration _registration = null!;
    private GrainId _id;

    internal static TGrain Create<TGrain>(GrainCallExecutor executor, GrainRegistration registration, GrainId id)
    {
        var proxy = DispatchProxy.Create<TGrain, GrainReference>();
        var reference = (GrainReference)(object)proxy!;
        reference._executor = executor;
        reference._registration = registration;
        reference._id = id;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = _registration.Method(targetMethod!);
        var call = _executor.InvokeAsync(_registration, _id, method, args ?? []);
        return method.ResultType is null ? call : ResultCasts.Cast(call, method.ResultType);
    }

    public override string ToString() => _id.ToString();
}

/// <summary>A grain reference handed out by <see cref="GrainContext.Send{TGrain}(Guid)"/>: calls are recorded as messages.</summary>
public class MessageRecorder : DispatchProxy
{
    private GrainContext _context = null!;
    private GrainRegistration _registration = null!;
    private GrainId _target;
    private DateTimeOffset _dueAt;

    internal static TGrain Create<TGrain>(GrainContext context, GrainRegistration registration, GrainId target, DateTimeOffset dueAt)
    {
        var proxy = DispatchProxy.Create<TGrain, MessageRecorder>();
        var recorder = (MessageRecorder)(object)proxy!;
        recorder._context = context;
        recorder._registration = registration;
        recorder._target = target;
        recorder._dueAt = dueAt;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var method = _registration.Method(targetMethod!);
        if (method.ResultType is not null)
            throw new InvalidOperationException($"{_registration.Interface.Name}.{method.Name} returns a value; only methods returning Task can be sent as one-way messages.");
        _context.AddMessage(_target, method.Method, args ?? [], _dueAt);
        return Task.CompletedTask;
    }
}

/// <summary>Turns a Task&lt;object?&gt; into the Task&lt;T&gt; an interface method declares.</summary>
internal static class ResultCasts
{
    private static readonly MethodInfo CastMethod = typeof(ResultCasts).GetMethod(nameof(CastTo), BindingFlags.NonPublic | BindingFlags.Static)!;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Func<Task<object?>, object>> Casts = new();

    public static object Cast(Task<object?> task, Type resultType) =>
        Casts.GetOrAdd(resultType, t => CastMethod.MakeGenericMethod(t).CreateDelegate<Func<Task<object?>, object>>())(task);

    private static object CastTo<T>(Task<object?> task) => Await<T>(task);

    private static async Task<T> Await<T>(Task<object?> task) => (T)(await task.ConfigureAwait(false))!;
}
