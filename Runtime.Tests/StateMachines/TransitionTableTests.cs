using Runtime.Grains;
using Runtime.Grains.Environments;
using Runtime.Grains.Jobs;
using Runtime.Grains.Projects;
using Runtime.Grains.StateMachines;
using Runtime.Grains.Tokens;
using Xunit;

namespace Runtime.Tests.StateMachines;

/// <summary>Every (state, operation) pair of every grain's table is either a transition or a 409 that names the state.</summary>
public sealed class TransitionTableTests
{
    [Fact]
    public void Every_project_state_and_operation_is_allowed_or_refused_naming_the_state() => AssertComplete(ProjectGrain.Transitions);

    [Fact]
    public void Every_token_state_and_operation_is_allowed_or_refused_naming_the_state() => AssertComplete(TokenGrain.Transitions);

    [Fact]
    public void Every_job_state_and_operation_is_allowed_or_refused_naming_the_state() => AssertComplete(JobGrain.Transitions);

    [Fact]
    public void Every_run_state_and_operation_is_allowed_or_refused_naming_the_state() => AssertComplete(JobGrain.RunTransitions);

    [Fact]
    public void Every_environment_state_and_operation_is_allowed_or_refused_naming_the_state() => AssertComplete(EnvironmentGrain.Transitions);

    [Theory]
    [InlineData(RunStatus.Completed)]
    [InlineData(RunStatus.Failed)]
    [InlineData(RunStatus.Cancelled)]
    public void An_ended_run_takes_no_operation_and_says_it_has_ended(RunStatus ended)
    {
        foreach (var operation in Enum.GetValues<RunOperation>())
        {
            var refusal = Assert.Throws<IllegalTransitionException>(() => JobGrain.RunTransitions.Next(ended, operation));
            Assert.Contains("It has already ended.", refusal.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_retired_environment_refuses_every_operation_and_says_to_create_another()
    {
        foreach (var operation in Enum.GetValues<EnvironmentOperation>())
        {
            var refusal = Assert.Throws<IllegalTransitionException>(() => EnvironmentGrain.Transitions.Next(EnvironmentStatus.Retired, operation));
            Assert.Contains("create another environment", refusal.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_refused_project_operation_says_what_to_do_where_a_hint_exists()
    {
        var refusal = Assert.Throws<IllegalTransitionException>(() => ProjectGrain.Transitions.Next(ProjectStatus.Deployed, ProjectOperation.Update));
        Assert.Equal("Deployed", refusal.CurrentState);
        Assert.Contains("Stop the project first.", refusal.Detail, StringComparison.Ordinal);
    }

    private static void AssertComplete<TState, TOperation>(TransitionTable<TState, TOperation> table)
        where TState : struct, Enum
        where TOperation : struct, Enum
    {
        var pairs = 0;
        foreach (var state in Enum.GetValues<TState>())
        {
            foreach (var operation in Enum.GetValues<TOperation>())
            {
                pairs++;
                if (table.IsAllowed(state, operation))
                {
                    Assert.Contains(table.Transitions, t => t.From.Equals(state) && t.Operation.Equals(operation) && t.To.Equals(table.Next(state, operation)));
                    continue;
                }
                var refusal = Assert.Throws<IllegalTransitionException>(() => table.Next(state, operation));
                Assert.Equal(state.ToString(), refusal.CurrentState);
                Assert.Equal("illegal-transition", refusal.Kind);
                Assert.Contains(table.Entity, refusal.Title, StringComparison.Ordinal);
            }
        }
        Assert.Equal(Enum.GetValues<TState>().Length * Enum.GetValues<TOperation>().Length, pairs);
    }
}
