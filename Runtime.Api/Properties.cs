// The Api speaks the agent gateway's protocol (Runtime.Execution), which, like the agents, targets Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
