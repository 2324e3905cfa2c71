using System.Text.Json;
using Runtime.Grains;

namespace Runtime.Api.Endpoints;

/// <summary>Reading a partial update's JSON: each field may be absent; a present one of the wrong type is a 400 naming it.</summary>
internal static class JobRequestBody
{
    public static void Check(JsonElement body, IReadOnlySet<string> known)
    {
        var validation = new Validation();
        foreach (var property in body.EnumerateObject().Where(p => known.Contains(p.Name)))
        {
            var ok = property.Name switch
            {
                "schedule" => property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Null,
                "overlap" => property.Value.ValueKind == JsonValueKind.String,
                "catchUp" => property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                _ => property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out _),
            };
            validation.Require(ok, property.Name, $"{property.Name} has the wrong type.");
        }
        validation.ThrowIfInvalid();
    }

    public static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) ? number : null;

    public static bool? Bool(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind is JsonValueKind.True or JsonValueKind.False ? value.GetBoolean() : null;
}
