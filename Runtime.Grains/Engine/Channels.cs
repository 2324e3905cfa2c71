namespace Runtime.Grains;

/// <summary>The LISTEN/NOTIFY channels Runtime announces on.</summary>
public static class Channels
{
    /// <summary>The queue (environment, or an agent's own) of each assignment made claimable: waiting agents wake.</summary>
    public const string Assignments = "runtime_assignments";

    /// <summary>"&lt;grain type&gt;/&lt;key&gt;" of each committed write of a grain whose table announces its changes (caches listen).</summary>
    public const string Changes = "runtime_changes";

    /// <summary>The workload id of each batch of log lines stored, and "run/&lt;id&gt;" when a run ends: its log followers wake.</summary>
    public const string Logs = "runtime_logs";
}
