// The AppHost starts processes with setsid and setpriv and sends POSIX signals: it runs on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
