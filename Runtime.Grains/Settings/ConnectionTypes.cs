using System.Globalization;
using System.Text;

namespace Runtime.Grains.Settings;

/// <summary>
/// The typed connections (postgres, mysql, mssql, http, s3, generic): their fields, which of them are
/// secret, their defaults, and how they reach the app — one environment variable per field
/// (<c>WAREHOUSE_HOST</c>, <c>WAREHOUSE_PASSWORD</c> …) and one DSN or URL (<c>WAREHOUSE_URL</c>).
/// </summary>
public static class ConnectionTypes
{
    private sealed record Field(string Name, bool Required = false, bool Secret = false, string? Default = null, bool Port = false);

    private sealed record Kind(string Scheme, IReadOnlyList<Field> Fields);

    private static readonly Field[] Database =
    [
        new("host", Required: true), new("port", Port: true), new("database", Required: true), new("user", Required: true),
        new("password", Secret: true), new("options"),
    ];

    private static readonly Dictionary<string, Kind> Kinds = new(StringComparer.Ordinal)
    {
        ["postgres"] = new("postgresql", WithPort(Database, "5432")),
        ["mysql"] = new("mysql", WithPort(Database, "3306")),
        ["mssql"] = new("mssql", WithPort(Database, "1433")),
        ["http"] = new("http", [new("url", Required: true), new("user"), new("password", Secret: true), new("token", Secret: true)]),
        ["s3"] = new("s3", [new("bucket", Required: true), new("region"), new("endpoint"), new("accessKeyId"), new("secretAccessKey", Secret: true)]),
        ["generic"] = new("", []),
    };

    public static IReadOnlyCollection<string> Names => Kinds.Keys;

    /// <summary>Where a connection of <paramref name="type"/> connects (host and port), for a reachability check; null when it does not say.</summary>
    public static (string Host, int Port)? Endpoint(string type, IReadOnlyDictionary<string, string> fields)
    {
        string? Get(string name) => fields.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
        static (string, int)? FromUrl(string? url) =>
            Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? (uri.Host, uri.Port) : null;
        switch (type)
        {
            case "postgres" or "mysql" or "mssql":
                var port = Get("port") ?? Kinds[type].Fields.First(f => f.Port).Default;
                return Get("host") is { } host && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? (host, number) : null;
            case "http":
                return FromUrl(Get("url"));
            case "s3":
                return FromUrl(Get("endpoint")) ?? (Get("region") is { } region ? ($"s3.{region}.amazonaws.com", 443) : ("s3.amazonaws.com", 443));
            default:
                return Get("host") is { } h && int.TryParse(Get("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? (h, p) : null;
        }
    }

    /// <summary>
    /// Checks a connection's fields for its type and splits them into plain and secret ones, defaults
    /// filled in. Errors name the field, never its value.
    /// </summary>
    public static (SortedDictionary<string, string> Plain, SortedDictionary<string, string> Secret) Parse(string? type, IReadOnlyDictionary<string, string?>? fields)
    {
        var validation = new Validation();
        if (type is null || !Kinds.TryGetValue(type, out var kind))
            throw new ValidationException("type", $"type must be one of {string.Join(", ", Kinds.Keys)}.");
        fields ??= new Dictionary<string, string?>();
        var plain = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var secret = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in fields)
        {
            var known = kind.Fields.FirstOrDefault(f => f.Name == name);
            if (kind.Fields.Count > 0 && known is null)
            {
                validation.Add($"fields.{name}", $"A {type} connection has no field '{name}'; its fields are {string.Join(", ", kind.Fields.Select(f => f.Name))}.");
                continue;
            }
            if (!SettingNames.IsFieldName(name))
            {
                validation.Add("fields", $"Field names are letters and digits starting with a letter (camelCase), at most 64: '{SettingNames.Shorten(name)}' is not.");
                continue;
            }
            if (value is null || value.Length == 0)
                continue;
            if (!SettingNames.IsValue(value))
            {
                validation.Add($"fields.{name}", SettingNames.ValueRule);
                continue;
            }
            var isSecret = known?.Secret ?? IsSecretByName(name);
            if (!isSecret)
                CheckPlain(validation, type, name, value, known);
            (isSecret ? secret : plain)[name] = value;
        }
        foreach (var field in kind.Fields)
        {
            if (field.Default is not null && !plain.ContainsKey(field.Name))
                plain[field.Name] = field.Default;
            validation.Require(!field.Required || plain.ContainsKey(field.Name) || secret.ContainsKey(field.Name), $"fields.{field.Name}", $"A {type} connection needs {field.Name}.");
        }
        if (fields.Count > 32)
            validation.Add("fields", "A connection has at most 32 fields.");
        validation.ThrowIfInvalid();
        return (plain, secret);
    }

    /// <summary>The environment variables a connection gives the app, with its secret fields decrypted.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Environment(string name, string type, IReadOnlyDictionary<string, string> fields)
    {
        var prefix = SettingNames.EnvironmentPrefix(name);
        foreach (var (field, value) in fields)
            yield return new(prefix + SettingNames.UpperSnake(field), value);
        if (Url(type, fields) is { } url && !fields.ContainsKey("url"))
            yield return new(prefix + "URL", url);
    }

    /// <summary>The names of the environment variables a connection gives the app.</summary>
    public static IEnumerable<string> EnvironmentNames(string name, StoredConnection connection) =>
        Environment(name, connection.Type, connection.Fields.Concat(connection.EncryptedFields).ToDictionary(f => f.Key, f => f.Value)).Select(e => e.Key);

    private static string? Url(string type, IReadOnlyDictionary<string, string> f)
    {
        string? Get(string key) => f.TryGetValue(key, out var value) ? value : null;
        switch (type)
        {
            case "postgres" or "mysql" or "mssql":
                var credentials = Uri.EscapeDataString(Get("user") ?? "") + (Get("password") is { } password ? ":" + Uri.EscapeDataString(password) : "");
                var url = new StringBuilder($"{Kinds[type].Scheme}://{credentials}@{Get("host")}:{Get("port")}/{Uri.EscapeDataString(Get("database") ?? "")}");
                if (Get("options") is { } options)
                    url.Append('?').Append(options.TrimStart('?'));
                return url.ToString();
            case "s3":
                return $"s3://{Get("bucket")}";
            default:
                return null;
        }
    }

    private static void CheckPlain(Validation validation, string type, string name, string value, Field? field)
    {
        if (field?.Port == true)
        {
            validation.Require(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536,
                $"fields.{name}", "port must be a number from 1 to 65535.");
        }
        else if (name == "host")
        {
            validation.Require(value.Length <= 253 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '[' or ']'),
                $"fields.{name}", "host must be a host name or IP address, without scheme, path or credentials.");
        }
        else if (name is "url" or "endpoint")
        {
            validation.Require(Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https",
                $"fields.{name}", $"{name} must be an absolute http or https URL.");
        }
        else if (type == "s3" && name == "bucket")
        {
            validation.Require(value.Length is >= 3 and <= 63 && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '.' or '-'),
                $"fields.{name}", "bucket must be an S3 bucket name: 3 to 63 lower-case letters, digits, dots and hyphens.");
        }
    }

    // A generic connection's field is secret when its name says so.
    private static bool IsSecretByName(string name)
    {
        var lower = name.ToLowerInvariant();
        return lower.Contains("password") || lower.Contains("secret") || lower.Contains("token") || lower.EndsWith("key", StringComparison.Ordinal);
    }

    private static Field[] WithPort(Field[] fields, string port) => fields.Select(f => f.Port ? f with { Default = port } : f).ToArray();
}
