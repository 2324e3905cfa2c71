using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json;
using Orleans;

namespace Runtime.Grains.Engine;

/// <summary>Grain interfaces by their stable <c>[Alias]</c>, so a stored message names its target without a CLR type name.</summary>
internal static class GrainInterfaces
{
    private static readonly ConcurrentDictionary<string, Type> ByAlias = new(StringComparer.Ordinal);

    public static string AliasOf(Type grainInterface)
    {
        var alias = grainInterface.GetCustomAttribute<AliasAttribute>()?.Alias
            ?? throw new InvalidOperationException($"{grainInterface.Name} needs an [Alias] to be sent messages.");
        ByAlias.TryAdd(alias, grainInterface);
        return alias;
    }

    /// <summary>Calls the message's method on its target, with its arguments read back from JSON.</summary>
    public static Task DeliverAsync(Orleans.IGrainFactory grains, OutboxMessage message)
    {
        var type = Resolve(message.Target);
        var reference = Guid.TryParse(message.Key, out var guid) && typeof(Orleans.IGrainWithGuidKey).IsAssignableFrom(type)
            ? grains.GetGrain(type, guid)
            : grains.GetGrain(type, message.Key);
        var method = new[] { type }.Concat(type.GetInterfaces()).Select(i => i.GetMethod(message.Method)).FirstOrDefault(m => m is not null)
            ?? throw new InvalidOperationException($"{type.Name} has no method {message.Method}.");
        var json = JsonDocument.Parse(message.Args).RootElement;
        var parameters = method.GetParameters();
        var args = new object?[parameters.Length];
        for (var i = 0; i < parameters.Length; i++)
            args[i] = json[i].Deserialize(parameters[i].ParameterType, GrainJson.Options);
        return (Task)method.Invoke(reference, BindingFlags.DoNotWrapExceptions, null, args, null)!;
    }

    private static Type Resolve(string alias)
    {
        if (ByAlias.TryGetValue(alias, out var type))
            return type;
        // A message may outlive the process that sent it: look through every loaded assembly that has grains.
        var assemblies = AppDomain.CurrentDomain.GetAssemblies()
            .Where(a => !a.IsDynamic && a.GetReferencedAssemblies().Any(r => r.Name == "Orleans.Core.Abstractions"));
        foreach (var candidate in assemblies.SelectMany(a => a.GetTypes()).Where(t => t.IsInterface && typeof(Orleans.Runtime.IAddressable).IsAssignableFrom(t)))
            AliasOfOrNull(candidate);
        return ByAlias.TryGetValue(alias, out type) ? type : throw new InvalidOperationException($"No grain interface has the alias '{alias}'.");
    }

    private static void AliasOfOrNull(Type type)
    {
        if (type.GetCustomAttribute<AliasAttribute>()?.Alias is { } alias)
            ByAlias.TryAdd(alias, type);
    }
}
