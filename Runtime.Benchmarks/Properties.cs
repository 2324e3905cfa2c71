// Starts PostgreSQL like the AppHost does (setsid, setpriv): Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
