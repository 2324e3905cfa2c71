using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;

namespace Runtime.Grains;

/// <summary>One grain type: its interface, its class, its state table and its methods.</summary>
public sealed partial class GrainRegistration
{
    private readonly ObjectFactory _factory;
    private readonly Dictionary<MethodInfo, GrainMethod> _byMethod = [];
    private readonly Dictionary<string, GrainMethod> _byName = new(StringComparer.Ordinal);

    /// <summary>Whether committed writes notify <see cref="Channels.Changes"/>.</summary>
    public bool AnnouncesChanges { get; init; }

    internal GrainRegistration(Type @interface, Type implementation, string typeName, string table)
    {
        if (!TypeNamePattern().IsMatch(typeName))
            throw new ArgumentException($"Grain type name '{typeName}' must match {TypeNamePattern()}.", nameof(typeName));
        // Interpolated into SQL below, so it must be a plain identifier.
        if (!TableNamePattern().IsMatch(table))
            throw new ArgumentException($"Grain table '{table}' must match {TableNamePattern()}.", nameof(table));

        Interface = @interface;
        Implementation = implementation;
        TypeName = typeName;
        Table = table;
        StateType = FindStateType(implementation)
            ?? throw new ArgumentException($"{implementation.Name} must derive from Grain<TState>.", nameof(implementation));
        _factory = ActivatorUtilities.CreateFactory(implementation, Type.EmptyTypes);

        foreach (var method in new[] { @interface }.Concat(@interface.GetInterfaces()).SelectMany(i => i.GetMethods()))
        {
            var grainMethod = new GrainMethod(method);
            if (!_byName.TryAdd(method.Name, grainMethod))
                throw new ArgumentException($"{@interface.Name} has two methods named {method.Name}; grain methods are addressed by name, so overloads are not allowed.");
            _byMethod[method] = grainMethod;
        }

        SelectSql = $"SELECT version, state FROM {table} WHERE key = $1";
        SelectForUpdateSql = SelectSql + " FOR UPDATE";
        InsertSql = $"INSERT INTO {table} (key, version, state) VALUES ($1, 1, $2) ON CONFLICT (key) DO NOTHING";
        UpdateSql = $"UPDATE {table} SET version = version + 1, state = $2, updated_at = now() WHERE key = $1";
        DeleteSql = $"DELETE FROM {table} WHERE key = $1";
    }

    public Type Interface { get; }

    public Type Implementation { get; }

    /// <summary>The first segment of the grain id (<c>workspace</c> in <c>workspace/…</c>).</summary>
    public string TypeName { get; }

    /// <summary>The table holding one row per grain of this type.</summary>
    public string Table { get; }

    public Type StateType { get; }

    internal string SelectSql { get; }

    internal string SelectForUpdateSql { get; }

    internal string InsertSql { get; }

    internal string UpdateSql { get; }

    internal string DeleteSql { get; }

    internal GrainMethod Method(MethodInfo method) => _byMethod[method];

    internal GrainMethod? Method(string name) => _byName.GetValueOrDefault(name);

    internal IGrainActivation Activate(IServiceProvider services) => (IGrainActivation)_factory(services, null);

    internal object NewState() => Activator.CreateInstance(StateType)!;

    /// <summary>A never-written grain's state as JSON: a call that leaves it so writes nothing.</summary>
    internal string NewStateJson => _newStateJson ??= System.Text.Json.JsonSerializer.Serialize(NewState(), StateType, GrainJson.Options);

    private string? _newStateJson;

    private static Type? FindStateType(Type type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Grain<>))
                return t.GetGenericArguments()[0];
        }
        return null;
    }

    [GeneratedRegex("^[a-z][a-z0-9-]{0,40}$")]
    private static partial Regex TypeNamePattern();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex TableNamePattern();
}

/// <summary>A grain interface method: how to call it and whether it only reads.</summary>
internal sealed class GrainMethod
{
    public GrainMethod(MethodInfo method)
    {
        Method = method;
        Parameters = method.GetParameters();
        ReadOnly = method.GetCustomAttribute<ReadOnlyAttribute>() is not null;
        if (method.ReturnType == typeof(Task))
            ResultType = null;
        else if (method.ReturnType.IsGenericType && method.ReturnType.GetGenericTypeDefinition() == typeof(Task<>))
        {
            ResultType = method.ReturnType.GetGenericArguments()[0];
            _result = method.ReturnType.GetProperty(nameof(Task<object>.Result));
        }
        else
            throw new ArgumentException($"Grain method {method.DeclaringType?.Name}.{method.Name} must return Task or Task<T>.");
    }

    private readonly PropertyInfo? _result;

    public MethodInfo Method { get; }

    public ParameterInfo[] Parameters { get; }

    public bool ReadOnly { get; }

    /// <summary>The T of Task&lt;T&gt;, or null for a plain Task (which may also be sent as a message).</summary>
    public Type? ResultType { get; }

    public string Name => Method.Name;

    /// <summary>Invokes the method on a grain instance and returns its result as an object.</summary>
    public async Task<object?> InvokeAsync(object grain, object?[] args)
    {
        var task = (Task)Method.Invoke(grain, BindingFlags.DoNotWrapExceptions, null, args, null)!;
        await task.ConfigureAwait(false);
        return _result?.GetValue(task);
    }
}
