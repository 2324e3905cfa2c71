using System.Text.Json;
using Orleans.Storage;

namespace Runtime.Grains.Cluster;

/// <summary>
/// Grain state as Runtime's JSON (camelCase, enums as strings, no type names), so that renaming a
/// state class breaks no stored row and the generated columns of the state tables can read it.
/// </summary>
public sealed class GrainStateSerializer : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input) => new(JsonSerializer.SerializeToUtf8Bytes(input, GrainJson.Options));

    public T Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>(GrainJson.Options)!;
}
