using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Tests.Rules;

public class RuleStateMachineTests
{
    private static readonly DateTimeOffset T0 = EventFactory.T0;
    private static readonly int Day0 = EventDay.Of(T0);
    private static readonly Observation Breached = new(null, Breached: true, Cleared: false);
    private static readonly Observation Cleared = new(null, Breached: false, Cleared: true);
    private static readonly Observation InBand = new(null, Breached: false, Cleared: false);
    private static readonly Observation NoData = Observation.NoData(null);

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

    /// <summary>An evaluation at <paramref name="at"/>, in the UTC day of that instant.</summary>
    private static EvaluationPoint At(DateTimeOffset at) => new(EventDay.Of(at), at, IsComplete: false, HasData: true);

    [Fact]
    public void Without_For_a_breach_fires_at_once_and_the_episode_starts_that_day()
    {
        var (state, transition) = RuleStateMachine.Step(RuleState.Initial, Breached, Rule(), At(T0));
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(RulePhase.Firing, state.Phase);
        Assert.Equal(Day0, state.EpisodeStartDay);
        Assert.Equal(T0, state.Since);
        Assert.True(state.IsActive);
    }

    [Fact]
    public void No_breach_in_normal_stays_normal()
    {
        Assert.Equal((RuleState.Initial, RuleTransition.None), RuleStateMachine.Step(RuleState.Initial, Cleared, Rule(), At(T0)));
        Assert.Equal((RuleState.Initial, RuleTransition.None), RuleStateMachine.Step(RuleState.Initial, InBand, Rule(), At(T0)));
        Assert.Equal((RuleState.Initial, RuleTransition.None), RuleStateMachine.Step(RuleState.Initial, null, Rule(), At(T0)));
        Assert.Equal((RuleState.Initial, RuleTransition.None), RuleStateMachine.Step(RuleState.Initial, NoData, Rule(), At(T0)));
        Assert.False(RuleState.Initial.IsActive);
    }

    [Fact]
    public void A_continued_breach_does_not_fire_again()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        for (var hour = 1; hour <= 48; hour++)
        {
            var (next, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(hour)));
            Assert.Equal(RuleTransition.None, transition);
            Assert.Equal(state, next);
        }
    }

    [Fact]
    public void With_For_a_breach_is_pending_until_it_has_held_for_the_duration_and_the_episode_starts_when_it_fires()
    {
        var rule = Rule(@for: TimeSpan.FromDays(2));
        var (state, transition) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Pending, state.Phase);
        Assert.False(state.IsActive);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddDays(2).AddTicks(-1)));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Pending, state.Phase);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddDays(2)));
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(RulePhase.Firing, state.Phase);
        Assert.Equal(Day0 + 2, state.EpisodeStartDay);
    }

    [Fact]
    public void A_pending_breach_that_stops_goes_back_to_normal_and_restarts_the_for_clock()
    {
        var rule = Rule(@for: TimeSpan.FromHours(2));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        (state, var transition) = RuleStateMachine.Step(state, InBand, rule, At(T0.AddHours(1)));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);

        (state, _) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(1.5)));
        Assert.Equal(RulePhase.Pending, state.Phase);
        (state, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(2.5)));
        Assert.Equal(RuleTransition.None, transition); // only 1h since the new breach
        (state, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(3.5)));
        Assert.Equal(RuleTransition.Fire, transition);
    }

    [Fact]
    public void Without_KeepFiringFor_a_cleared_condition_resolves_at_once_and_keeps_the_episode_start()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        (state, var transition) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddDays(3)));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);
        Assert.Equal(Day0, state.EpisodeStartDay);
        Assert.Equal(T0.AddDays(3), state.Since);
        Assert.Null(state.CooldownUntil);
    }

    [Fact]
    public void Inside_the_hysteresis_band_a_firing_rule_keeps_firing()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        var (next, transition) = RuleStateMachine.Step(state, InBand, rule, At(T0.AddDays(10)));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Firing, next.Phase);
    }

    [Fact]
    public void A_missing_observation_ends_a_firing_episode_like_a_cleared_one()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        var (_, transition) = RuleStateMachine.Step(state, null, rule, At(T0.AddHours(1)));
        Assert.Equal(RuleTransition.Resolve, transition);
    }

    [Fact]
    public void An_observation_without_data_changes_nothing_in_any_phase()
    {
        var rule = Rule(@for: TimeSpan.FromDays(1), keepFiringFor: TimeSpan.FromDays(1));
        var later = At(T0.AddDays(30));

        var (pending, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        Assert.Equal(RulePhase.Pending, pending.Phase);
        Assert.Equal((pending, RuleTransition.None), RuleStateMachine.Step(pending, NoData, rule, later)); // for has elapsed: still no fire

        var (firing, _) = RuleStateMachine.Step(pending, Breached, rule, At(T0.AddDays(1)));
        Assert.Equal(RulePhase.Firing, firing.Phase);
        Assert.Equal((firing, RuleTransition.None), RuleStateMachine.Step(firing, NoData, rule, later)); // a gap is not a recovery

        var (recovering, _) = RuleStateMachine.Step(firing, Cleared, rule, At(T0.AddDays(2)));
        Assert.Equal(RulePhase.Recovering, recovering.Phase);
        Assert.Equal((recovering, RuleTransition.None), RuleStateMachine.Step(recovering, NoData, rule, later)); // keepFiringFor elapsed: still open
    }

    [Fact]
    public void With_KeepFiringFor_a_cleared_condition_recovers_and_resolves_after_the_duration()
    {
        var rule = Rule(keepFiringFor: TimeSpan.FromHours(3));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));

        (state, var transition) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(1)));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Recovering, state.Phase);
        Assert.True(state.IsActive);

        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(4).AddTicks(-1)));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Recovering, state.Phase);

        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(4)));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);
    }

    [Fact]
    public void A_breach_while_recovering_goes_back_to_firing_in_the_same_episode_without_a_new_play()
    {
        var rule = Rule(keepFiringFor: TimeSpan.FromHours(3));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        (state, _) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(1)));
        Assert.Equal(RulePhase.Recovering, state.Phase);

        (state, var transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(2)));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Firing, state.Phase);
        Assert.Equal(Day0, state.EpisodeStartDay);

        // The keep-firing clock restarts from the next clearing.
        (state, _) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(3)));
        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(5)));
        Assert.Equal(RuleTransition.None, transition);
        (state, transition) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(6)));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(Day0, state.EpisodeStartDay);
    }

    [Fact]
    public void Cooldown_blocks_a_new_episode_until_it_has_passed()
    {
        var rule = Rule(cooldown: TimeSpan.FromDays(1));
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        (state, var transition) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddHours(1)));
        Assert.Equal(RuleTransition.Resolve, transition);
        Assert.Equal(T0.AddHours(1).AddDays(1), state.CooldownUntil);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(2)));
        Assert.Equal(RuleTransition.None, transition);
        Assert.Equal(RulePhase.Normal, state.Phase);
        (state, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(25).AddTicks(-1)));
        Assert.Equal(RuleTransition.None, transition);

        (state, transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddHours(25)));
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(Day0 + 1, state.EpisodeStartDay);
        Assert.Null(state.CooldownUntil);
    }

    [Fact]
    public void Without_cooldown_a_new_crossing_after_resolving_is_a_new_episode_starting_that_day()
    {
        var rule = Rule();
        var (state, _) = RuleStateMachine.Step(RuleState.Initial, Breached, rule, At(T0));
        (state, _) = RuleStateMachine.Step(state, Cleared, rule, At(T0.AddDays(1)));
        (state, var transition) = RuleStateMachine.Step(state, Breached, rule, At(T0.AddDays(2)));
        Assert.Equal(RuleTransition.Fire, transition);
        Assert.Equal(Day0 + 2, state.EpisodeStartDay);
    }

    [Fact]
    public void For_KeepFiringFor_and_Cooldown_combine_over_a_full_cycle()
    {
        var rule = Rule(@for: TimeSpan.FromDays(1), keepFiringFor: TimeSpan.FromDays(1), cooldown: TimeSpan.FromDays(10));
        var transitions = new List<(RuleTransition, int EpisodeStartDay)>();
        var state = RuleState.Initial;
        var script = new (double Day, Observation Observation)[]
        {
            (0, Breached), (0.5, Breached), (1, Breached),  // fires on day 1
            (2, Cleared), (2.5, Breached), (3, Cleared),    // recovering, firing, recovering
            (3.5, NoData),                                  // a gap changes nothing
            (4, Cleared),                                   // resolves on day 4, cooldown until day 14
            (5, Breached), (13.9, Breached),                // blocked
            (14, Breached), (15, Breached),                 // pending on day 14, fires on day 15
        };
        foreach (var (day, observation) in script)
        {
            (state, var transition) = RuleStateMachine.Step(state, observation, rule, At(T0.AddDays(day)));
            if (transition != RuleTransition.None) transitions.Add((transition, state.EpisodeStartDay - Day0));
        }
        Assert.Equal([(RuleTransition.Fire, 1), (RuleTransition.Resolve, 1), (RuleTransition.Fire, 15)], transitions);
    }
}
