namespace Runtime.Grains.Settings;

/// <summary>
/// Which credentials a workload gets (DESIGN §1): <c>prod</c> for batch jobs, <c>access</c> (read-only)
/// for interactive apps, <c>dev</c> for local work. A workload only ever gets its own profile's settings.
/// </summary>
public static class Profiles
{
    public const string Prod = "prod";
    public const string Access = "access";
    public const string Dev = "dev";

    /// <summary>The profile apps run under.</summary>
    public const string Apps = Access;

    public static readonly IReadOnlyList<string> All = [Prod, Access, Dev];

    /// <summary>The profile named by <paramref name="value"/>, or <paramref name="fallback"/> when none is given.</summary>
    public static string Parse(string? value, string fallback = Apps)
    {
        if (value is null)
            return fallback;
        return All.Contains(value)
            ? value
            : throw new ValidationException("profile", $"'{Truncate(value)}' is not a profile; use one of {string.Join(", ", All)}.");
    }

    private static string Truncate(string value) => value.Length <= 20 ? value : value[..20] + "…";
}
