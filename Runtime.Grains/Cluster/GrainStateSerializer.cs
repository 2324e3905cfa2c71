using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.Storage;
using Runtime.Grains.Engine;

namespace Runtime.Grains.Cluster;

/// <summary>
/// Grain state as Runtime's JSON (camelCase, enums as strings, no type names), so that renaming a
/// state class breaks no stored row and the generated columns of the state tables can read it. The
/// document is <c>{"state": …}</c>, plus a <see cref="GrainRecord{TState}"/>'s outbox and seen ids,
/// which the storage SQL keeps beside the state (migration 0012).
/// </summary>
public sealed class GrainStateSerializer : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input)
    {
        if (IsRecord(typeof(T)))
            return new BinaryData(JsonSerializer.SerializeToUtf8Bytes(input, GrainJson.Options));
        var document = new JsonObject { ["state"] = JsonSerializer.SerializeToNode(input, GrainJson.Options) };
        return new BinaryData(JsonSerializer.SerializeToUtf8Bytes(document, GrainJson.Options));
    }

    public T Deserialize<T>(BinaryData input)
    {
        if (IsRecord(typeof(T)))
            return input.ToObjectFromJson<T>(GrainJson.Options)!;
        var document = JsonNode.Parse(input.ToMemory().Span)!;
        return document["state"].Deserialize<T>(GrainJson.Options)!;
    }

    private static bool IsRecord(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(GrainRecord<>);
}
