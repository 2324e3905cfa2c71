using System.ComponentModel.DataAnnotations;

namespace Runtime.Grains.Silos;

/// <summary>How a silo tells the others, through the <c>silos</c> table, that its embedded agent is alive (<c>Runtime:Delivery</c>).</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Runtime:Delivery";

    /// <summary>How often a silo proves it is alive.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A silo silent this long is declared dead: the runs its agent held are lost, its apps adopted (four missed heartbeats).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "01:00:00")]
    public TimeSpan SiloDeadAfter { get; set; } = TimeSpan.FromSeconds(20);
}
