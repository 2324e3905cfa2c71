// The agent runs workloads as Linux process groups and reads /proc.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
