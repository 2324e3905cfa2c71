using System.Globalization;

namespace Runtime.Agent.Hosting;

/// <summary>
/// The command line (<c>--api URL --environment ID --token TOKEN [--data-dir DIR] [--advertise-host HOST]</c>),
/// each option falling back to its environment variable. Every problem is collected, so one line says all that is wrong.
/// </summary>
internal static class AgentArguments
{
    public const string Usage =
        "usage: runtime-agent --api <url> --environment <id> --token <token> [--data-dir <dir>] [--advertise-host <host>] " +
        "(or RUNTIME_AGENT_API, RUNTIME_AGENT_ENVIRONMENT, RUNTIME_AGENT_TOKEN, RUNTIME_AGENT_DATA_DIR, RUNTIME_AGENT_ADVERTISE_HOST; " +
        "RUNTIME_AGENT_HEARTBEAT_SECONDS overrides the Api's heartbeat interval)";

    public const string TokenVariable = "RUNTIME_AGENT_TOKEN";

    private static readonly Dictionary<string, string> Options = new(StringComparer.Ordinal)
    {
        ["--api"] = "RUNTIME_AGENT_API",
        ["--environment"] = "RUNTIME_AGENT_ENVIRONMENT",
        ["--token"] = TokenVariable,
        ["--data-dir"] = "RUNTIME_AGENT_DATA_DIR",
        ["--advertise-host"] = "RUNTIME_AGENT_ADVERTISE_HOST",
        ["--heartbeat-seconds"] = "RUNTIME_AGENT_HEARTBEAT_SECONDS",
    };

    /// <summary>The settings, or every error in one line; <paramref name="variable"/> reads the environment.</summary>
    public static (AgentSettings? Settings, string? Error) Parse(IReadOnlyList<string> args, Func<string, string?> variable)
    {
        var errors = new List<string>();
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var (name, value) = args[i].Split('=', 2) is [var n, var v] && n.StartsWith("--", StringComparison.Ordinal) ? (n, (string?)v) : (args[i], null);
            if (!Options.ContainsKey(name))
            {
                errors.Add($"unknown argument '{args[i]}'");
                continue;
            }
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    errors.Add($"{name} needs a value");
                    continue;
                }
                value = args[++i];
            }
            given[name] = value;
        }

        string? Read(string option) =>
            given.TryGetValue(option, out var value) ? value : variable(Options[option]) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;

        var apiText = Read("--api");
        Uri? api = null;
        if (apiText is null)
            errors.Add("--api (RUNTIME_AGENT_API) is required");
        else if (!Uri.TryCreate(apiText, UriKind.Absolute, out api) || (api.Scheme != Uri.UriSchemeHttp && api.Scheme != Uri.UriSchemeHttps) || api.Query.Length > 0)
            errors.Add($"--api must be an http(s) URL, not '{apiText}'");

        var environment = Read("--environment")?.Trim();
        if (string.IsNullOrEmpty(environment))
            errors.Add("--environment (RUNTIME_AGENT_ENVIRONMENT) is required");

        var token = Read("--token")?.Trim();
        if (string.IsNullOrEmpty(token))
            errors.Add("--token (RUNTIME_AGENT_TOKEN) is required");
        else if (token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            errors.Add("--token must not hold spaces or control characters");

        var advertise = Read("--advertise-host") ?? "127.0.0.1";
        if (Uri.CheckHostName(advertise.Trim('[', ']')) == UriHostNameType.Unknown)
            errors.Add($"--advertise-host must be a host name or an IP address, not '{advertise}'");

        TimeSpan? heartbeat = null;
        if (Read("--heartbeat-seconds") is { } seconds)
        {
            if (double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= 3600)
                heartbeat = TimeSpan.FromSeconds(value);
            else
                errors.Add($"RUNTIME_AGENT_HEARTBEAT_SECONDS must be a number of seconds between 0 and 3600, not '{seconds}'");
        }

        var dataDirectory = Read("--data-dir") ?? ".runtime-agent";
        string? fullDataDirectory = null;
        try
        {
            fullDataDirectory = Path.GetFullPath(dataDirectory);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            errors.Add($"--data-dir '{dataDirectory}' is not a valid path");
        }

        if (errors.Count > 0)
            return (null, string.Join("; ", errors));
        // With a trailing slash, so that the gateway's paths go below any path prefix it has.
        api = new Uri(api!.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        return (new AgentSettings(api, environment!, token!, fullDataDirectory!, advertise.Trim('[', ']'), heartbeat), null);
    }
}
