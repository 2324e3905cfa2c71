using Xunit;

namespace Runtime.Tests.Infrastructure;

/// <summary>
/// Tests that bound how soon a grain answers after its silo is killed. They run after every parallel
/// test, alone: beside the rest of the suite on two cores, a failover that takes 1.3-2.2 s alone took
/// 3.4-7.4 s, which measured the other tests' load, not the failover.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FailoverTimingCollection
{
    public const string Name = "Failover timing";
}
