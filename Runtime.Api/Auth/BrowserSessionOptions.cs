using System.ComponentModel.DataAnnotations;

namespace Runtime.Api.Auth;

/// <summary>Browser sessions for the app proxy (<c>Runtime:Session</c>).</summary>
public sealed class BrowserSessionOptions
{
    public const string Section = "Runtime:Session";

    /// <summary>
    /// How long a browser session lasts after login: a working day, so a browser left logged in
    /// overnight asks again. Revoking or expiring the token ends the session sooner, at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(12);
}
