namespace Runtime.Grains.Projects;

/// <summary>Where a project stands (DESIGN §3).</summary>
public enum ProjectStatus
{
    Created,
    Deploying,
    Deployed,
    Stopping,
    Stopped,
    Failed,
}

/// <summary>What may be asked of a project; the transition table says from which states.</summary>
public enum ProjectOperation
{
    Deploy,
    Pull,
    Restart,
    Start,
    Stop,
    Update,
    RotateKey,
}

/// <summary>The app types Runtime knows how to run.</summary>
public enum AppType
{
    Streamlit,
    Dash,
    Airflow,
    OpenWebUI,
    Marimo,

    /// <summary>Any server the script starts on $PORT (an MCP server, an API), under $RUNTIME_BASE_PATH; healthy once it accepts connections.</summary>
    Python,
}
