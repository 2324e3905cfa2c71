using Runtime.Grains;
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
