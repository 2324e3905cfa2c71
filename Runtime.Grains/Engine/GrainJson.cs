using System.Text.Json;
using System.Text.Json.Serialization;

namespace Runtime.Grains;

/// <summary>How grain state, message arguments and activity payloads are written to jsonb.</summary>
public static class GrainJson
{
    /// <summary>camelCase names (generated columns refer to them), enums as strings.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
