// The embedded agent runs workloads as Linux process groups.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
