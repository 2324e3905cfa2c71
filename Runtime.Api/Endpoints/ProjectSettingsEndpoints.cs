using System.Text.Json;
using Runtime.Api.Auth;
using Runtime.Grains;
using Runtime.Grains.Projects;
using Runtime.Grains.Secrets;
using Runtime.Grains.Settings;
using Runtime.Grains.Workspaces;

namespace Runtime.Api.Endpoints;

/// <summary>
/// A project's variables, secrets and connections per profile (?profile=, default access: the one apps
/// run under). Secrets and secret connection fields are encrypted here and never shown again.
/// </summary>
public static class ProjectSettingsEndpoints
{
    public static RouteGroupBuilder MapProjectSettingsEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup($"/workspaces/{{{Access.WorkspaceParameter}}}/projects/{{project}}").WithTags("Project settings");
        group.MapGet("/settings", Get).WithName("GetProjectSettings")
            .WithSummary("A profile's variables (with values), secrets and connections (names and plain fields only), and the environment variables the app gets");
        group.MapPut("/variables/{name}", SetVariable).WithName("SetProjectVariable").WithSummary("Set a plain-text variable (body {\"value\": …})");
        group.MapDelete("/variables/{name}", (string project, string name, string? profile, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
            Remove(project, SettingKind.Variable, name, profile, http, grains, projects)).WithName("DeleteProjectVariable").WithSummary("Delete a variable");
        group.MapPut("/secrets/{name}", SetSecret).WithName("SetProjectSecret").RequireRole(Role.Owner)
            .WithSummary("Set a write-only secret (body {\"value\": …}); it is encrypted and never shown again");
        group.MapDelete("/secrets/{name}", (string project, string name, string? profile, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
            Remove(project, SettingKind.Secret, name, profile, http, grains, projects)).WithName("DeleteProjectSecret").RequireRole(Role.Owner).WithSummary("Delete a secret");
        group.MapPut("/connections/{name}", SetConnection).WithName("SetProjectConnection").RequireRole(Role.Owner)
            .WithSummary($"Set a typed connection (body {{\"type\": {string.Join("|", ConnectionTypes.Names)}, \"fields\": {{…}}}}); secret fields are write-only");
        group.MapDelete("/connections/{name}", (string project, string name, string? profile, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects) =>
            Remove(project, SettingKind.Connection, name, profile, http, grains, projects)).WithName("DeleteProjectConnection").RequireRole(Role.Owner).WithSummary("Delete a connection");
        return api;
    }

    private static async Task<SettingsView> Get(string project, string? profile, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects)
    {
        var (grain, _) = await FindAsync(project, http, grains, projects);
        return await grain.GetSettings(Profiles.Parse(profile));
    }

    private static async Task<SettingsView> SetVariable(string project, string name, string? profile, JsonElement body, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects)
    {
        var value = Value(body);
        var (grain, _) = await FindAsync(project, http, grains, projects);
        return await grain.SetVariable(Profiles.Parse(profile), name, value);
    }

    private static async Task<SettingsView> SetSecret(
        string project, string name, string? profile, JsonElement body, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, SecretCipher cipher)
    {
        var value = Value(body);
        var selected = Profiles.Parse(profile);
        if (SettingNames.Problem(name) is { } problem)
            throw new ValidationException("name", problem);
        var (grain, id) = await FindAsync(project, http, grains, projects);
        return await grain.SetSecret(selected, name, cipher.Encrypt(value, SettingContexts.Secret(ProjectGrain.SettingsOwner(id), selected, name)));
    }

    private static async Task<SettingsView> SetConnection(
        string project, string name, string? profile, JsonElement body, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects, SecretCipher cipher)
    {
        if (body.ValueKind != JsonValueKind.Object)
            throw new ValidationException("body", "Send a JSON object {\"type\": …, \"fields\": {…}}.");
        var type = body.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (body.TryGetProperty("fields", out var f))
        {
            if (f.ValueKind != JsonValueKind.Object)
                throw new ValidationException("fields", "fields must be an object of field names to values.");
            foreach (var field in f.EnumerateObject())
            {
                fields[field.Name] = field.Value.ValueKind switch
                {
                    JsonValueKind.String => field.Value.GetString(),
                    JsonValueKind.Number => field.Value.GetRawText(),
                    JsonValueKind.Null => null,
                    _ => throw new ValidationException($"fields.{field.Name}", $"{field.Name} must be a string or a number."),
                };
            }
        }
        var selected = Profiles.Parse(profile);
        var (plain, secret) = ConnectionTypes.Parse(type, fields);
        var (grain, id) = await FindAsync(project, http, grains, projects);
        var owner = ProjectGrain.SettingsOwner(id);
        var encrypted = new SortedDictionary<string, string>(
            secret.ToDictionary(s => s.Key, s => cipher.Encrypt(s.Value, SettingContexts.ConnectionField(owner, selected, name, s.Key))), StringComparer.Ordinal);
        return await grain.SetConnection(selected, name, new StoredConnection(type!, plain, encrypted, default));
    }

    private static async Task<SettingsView> Remove(string project, SettingKind kind, string name, string? profile, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects)
    {
        var (grain, _) = await FindAsync(project, http, grains, projects);
        return await grain.RemoveSetting(Profiles.Parse(profile), kind, name);
    }

    // The value is never echoed back, not even in an error.
    private static string Value(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
            throw new ValidationException("value", "Send a JSON object {\"value\": \"…\"} with a string value.");
        var text = value.GetString()!;
        if (!SettingNames.IsValue(text))
            throw new ValidationException("value", SettingNames.ValueRule);
        return text;
    }

    private static async Task<(IProjectGrain Grain, Guid Id)> FindAsync(string project, HttpContext http, Orleans.IGrainFactory grains, ProjectStore projects)
    {
        var id = await projects.FindAsync(http.User.Caller().WorkspaceId, project, http.RequestAborted) ?? throw new NotFoundException("project", project);
        return (grains.GetGrain<IProjectGrain>(id), id);
    }
}
