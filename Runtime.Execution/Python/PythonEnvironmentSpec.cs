namespace Runtime.Execution.Python;

/// <summary>What a Python environment is made of: an interpreter, pip requirements, and whether it sees the interpreter's own packages.</summary>
public sealed record PythonEnvironmentSpec(string Interpreter, string Requirements, bool InheritSystemPackages);

/// <summary>A ready environment: its <c>bin</c> folder, whether it was already built, and how long getting it took.</summary>
public sealed record PythonEnvironment(string Bin, string Key, bool Reused, TimeSpan Took);

/// <summary>Building an environment failed; the message ends with the last lines of the failing command.</summary>
public sealed class PythonEnvironmentException(string message) : Exception(message);
