// Process groups and POSIX signals: the executor runs on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
