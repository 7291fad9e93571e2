using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests.Rules;

public class RuleStateMachineTests
{
    private static readonly DateTimeOffset T0 = EventFactory.T0;
    private static readonly Evidence SomeEvidence = new("m", 1, null, null, 1, "7d", ">=");
    private static readonly Observation Breached = new(null, Breached: true, Cleared: false, SomeEvidence);
    private static readonly Observation Cleared = new(null, Breached: false, Cleared: true, SomeEvidence);
    private static readonly Observation InBand = new(null, Breached: false, Cleared: false, SomeEvidence);

    private static RuleDefinition Rule(TimeSpan? @for = null, TimeSpan? keepFiringFor = null, TimeSpan? cooldown = null) => new()
    {
        Id = "test.rule",
        Kind = PlayKind.Expansion,
        Severity = Severity.Low,
        Condition = new SignalCountCondition("x", 7, 1),
        Title = "t",
        For = @for ?? TimeSpan.Zero,
        KeepFiringFor = keepFiringFor ?? TimeSpan.Zero,
        Cooldown = cooldown ?? TimeSpan.Zero,
    };

    [Fact]
    public void Without_For_a_breach_fires_at_once_and_starts_episode_one()
    {
        var (state, transition) = RuleStateMachine.Step(RuleState.Initial, Breached, Rule(), T0);
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(RulePhase.Firing, state.Phase);
        Assert.Equal(1, state.Episode);
        Assert.Equal(T0, state.Since);
    }

    [Fact]
    public void No_breach_in_normal_stays_normal()
    {
        Assert.Equal((RuleState.Initial, RuleTransition.None), RuleStateMachine.Step(RuleState.Initial, Cleared, Rule(), T0));
        Assert.Equal((RuleState.Initial, RuleTransition.None), RuleStateMachine.Step(RuleState.Initial, InBand, Rule(), T0));
        Assert.Equal((RuleState.Initial, RuleTransition.None), RuleStateMachine.Step(RuleState.Initial, null, Rule(), T0));
    }

    [Fact]
    public void A_continued_breach_does_not_fire_again()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        for (var hour = 1; hour <= 48; hour++)
        {
            var (next, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(hour));
            Assert.Equal(RuleTransition.None, transition);
            Assert.Equal(state, next);
        }
    }

    [Fact]
    public void With_For_a_breach_is_pending_until_it_has_held_for_the_duration()
    {
        var rule = Rule(@for: TimeSpan.FromHours(2));
        var (state, transition) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Pending, state.Phase);
        Assert.Equal(0, state.Episode);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(2).AddTicks(-1));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Pending, state.Phase);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(2));
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(RulePhase.Firing, state.Phase);
        Assert.Equal(1, state.Episode);
    }

    [Fact]
    public void A_pending_breach_that_stops_goes_back_to_normal_and_restarts_the_for_clock()
    {
        var rule = Rule(@for: TimeSpan.FromHours(2));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        (state, var transition) = RuleStateMachine.Step(state, InBand, rule, T0.AddHours(1));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);

        (state, _) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(1.5));
        Assert.Equal(RulePhase.Pending, state.Phase);
        (state, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(2.5));
        Assert.Equal(RuleTransition.None, transition); // only 1h since the new breach
        (state, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(3.5));
        Assert.Equal(RuleTransition.Fire, transition);
    }

    [Fact]
    public void Without_KeepFiringFor_a_cleared_condition_resolves_at_once()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        (state, var transition) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(1));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);
        Assert.Equal(1, state.Episode);
        Assert.Null(state.CooldownUntil);
    }

    [Fact]
    public void Inside_the_hysteresis_band_a_firing_rule_keeps_firing()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        var (next, transition) = RuleStateMachine.Step(state, InBand, rule, T0.AddDays(10));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Firing, next.Phase);
    }

    [Fact]
    public void A_missing_observation_ends_a_firing_episode_like_a_cleared_one()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        var (_, transition) = RuleStateMachine.Step(state, null, rule, T0.AddHours(1));
        Assert.Equal(RuleTransition.Resolve, transition);
    }

    [Fact]
    public void With_KeepFiringFor_a_cleared_condition_recovers_and_resolves_after_the_duration()
    {
        var rule = Rule(keepFiringFor: TimeSpan.FromHours(3));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);

        (state, var transition) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(1));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Recovering, state.Phase);

        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(4).AddTicks(-1));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Recovering, state.Phase);

        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(4));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);
    }

    [Fact]
    public void A_breach_while_recovering_goes_back_to_firing_in_the_same_episode_without_a_new_play()
    {
        var rule = Rule(keepFiringFor: TimeSpan.FromHours(3));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        (state, _) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(1));
        Assert.Equal(RulePhase.Recovering, state.Phase);

        (state, var transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(2));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Firing, state.Phase);
        Assert.Equal(1, state.Episode);

        // The keep-firing clock restarts from the next clearing.
        (state, _) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(3));
        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(5));
        Assert.Equal(RuleTransition.None, transition);
        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(6));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(1, state.Episode);
    }

    [Fact]
    public void Cooldown_blocks_a_new_episode_until_it_has_passed()
    {
        var rule = Rule(cooldown: TimeSpan.FromDays(1));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        (state, var transition) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(1));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(T0.AddHours(1).AddDays(1), state.CooldownUntil);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(2));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);
        (state, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(25).AddTicks(-1));
        Assert.Equal(RuleTransition.None, transition);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(25));
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(2, state.Episode);
        Assert.Null(state.CooldownUntil);
    }

    [Fact]
    public void Without_cooldown_a_new_crossing_right_after_resolving_is_episode_two()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, T0);
        (state, _) = RuleStateMachine.Step(state, Cleared, rule, T0.AddHours(1));
        (state, var transition) = RuleStateMachine.Step(state, Breached, rule, T0.AddHours(1));
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(2, state.Episode);
    }

    [Fact]
    public void For_KeepFiringFor_and_Cooldown_combine_over_a_full_cycle()
    {
        var rule = Rule(@for: TimeSpan.FromHours(1), keepFiringFor: TimeSpan.FromHours(1), cooldown: TimeSpan.FromHours(10));
        var fired = new List<int>();
        var state = RuleState.Initial;
        var script = new (double Hour, Observation Observation)[]
        {
            (0, Breached), (0.5, Breached), (1, Breached),  // fires at 1
            (2, Cleared), (2.5, Breached), (3, Cleared),    // recovering, firing, recovering
            (4, Cleared),                                   // resolves at 4, cooldown until 14
            (5, Breached), (13.9, Breached),                // blocked
            (14, Breached), (15, Breached),                 // pending at 14, fires at 15
        };
        foreach (var (hour, observation) in script)
        {
            (state, var transition) = RuleStateMachine.Step(state, observation, rule, T0.AddHours(hour));
            if (transition == RuleTransition.Fire) fired.Add(state.Episode);
            if (transition == RuleTransition.Resolve) fired.Add(-state.Episode);
        }
        Assert.Equal([1, -1, 2], fired);
    }
}
