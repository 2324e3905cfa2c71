// The tests start PostgreSQL, silos and the AppHost as Linux processes and signal them.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
