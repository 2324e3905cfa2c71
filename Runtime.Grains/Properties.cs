// Grains write private files and hand workloads to agents with Runtime.Execution, which targets Linux, as Runtime does.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
