using System.Text.RegularExpressions;

namespace Runtime.Grains.PythonEnvironments;

/// <summary>A Python environment as an Owner defines it, checked: what reaches the agent's command lines is safe there.</summary>
public sealed partial record PythonEnvironmentInput(string Name, string Interpreter, string Requirements, bool InheritSystemPackages)
{
    // pip options that may appear in requirements; the others read or write files on the agent.
    private static readonly string[] AllowedOptions =
        ["--index-url", "-i", "--extra-index-url", "--trusted-host", "--pre", "--prefer-binary", "--only-binary", "--no-binary"];

    public static PythonEnvironmentInput Parse(string name, string? interpreter, string? requirements, bool? inheritSystemPackages)
    {
        var validation = new Validation();
        validation.Require(NamePattern().IsMatch(name), "name", $"'{(name.Length > 40 ? name[..40] + "…" : name)}' is not a valid environment name: lower-case letters, digits, '.', '_' and '-', at most 63, starting with a letter or digit.");
        interpreter ??= PythonEnvironmentStore.AgentInterpreter;
        validation.Require(interpreter == PythonEnvironmentStore.AgentInterpreter || InterpreterPattern().IsMatch(interpreter) && !interpreter.Contains(".."),
            "interpreter", $"interpreter must be '{PythonEnvironmentStore.AgentInterpreter}' (the agent's own), a name like python3 or python3.11, or an absolute path.");
        requirements ??= "";
        if (requirements.Length > 64 * 1024)
            validation.Add("requirements", "requirements are at most 64 KiB.");
        else
        {
            var number = 0;
            foreach (var raw in requirements.Split('\n'))
            {
                number++;
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                    continue;
                if (line.Contains('\0'))
                    validation.Add("requirements", $"line {number} contains a NUL character.");
                else if (line.StartsWith('-') && !AllowedOptions.Any(o => line == o || line.StartsWith(o + " ", StringComparison.Ordinal) || line.StartsWith(o + "=", StringComparison.Ordinal)))
                    validation.Add("requirements", $"line {number}: only these pip options are allowed: {string.Join(", ", AllowedOptions)}.");
                else if (line.StartsWith('/') || line.StartsWith('.') || line.StartsWith('~') || line.Contains("file:", StringComparison.OrdinalIgnoreCase))
                    validation.Add("requirements", $"line {number}: local paths cannot be installed; name a package (and a version) from an index.");
            }
        }
        validation.ThrowIfInvalid();
        return new PythonEnvironmentInput(name, interpreter, requirements, inheritSystemPackages ?? false);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,62}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(python[0-9.]*|/[A-Za-z0-9._+/-]+)$")]
    private static partial Regex InterpreterPattern();
}
