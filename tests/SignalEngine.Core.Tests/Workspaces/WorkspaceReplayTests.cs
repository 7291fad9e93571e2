using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;
using static SignalEngine.Core.Tests.EventFactory;

namespace SignalEngine.Core.Tests.Workspaces;

/// <summary>
/// The plays are a function of the history, not of its arrival order: a 90-day history lived day by day and the
/// same events applied shuffled, in batches of any size, end with the same plays (retracted ones aside) and metrics.
/// </summary>
public class WorkspaceReplayTests
{
    private const int HistoryDays = 90;
    private const int MaxTests = 25; // each case replays ~1,000 events twice; keep the whole Core run well under a minute

    /// <summary>What varies between generated histories; the events themselves are drawn from <see cref="NoiseSeed"/>.</summary>
    public sealed record HistorySpec(
        int Users,
        int ExtraSeats,
        int[] ActivityPercent,
        int DropDay,
        int DroppedUsers,
        int GapStart,
        int GapDays,
        int[] LimitDays,
        int[] EscalationDays,
        int[] SponsorDays,
        (int Day, int Score)[] Surveys,
        int CreatedDaysBeforeStart,
        int? ActivationDay,
        int PeerMedian,
        int NoiseSeed,
        int ShuffleSeed)
    {
        public override string ToString() =>
            $"users {Users} of {Users + ExtraSeats} seats ({string.Join(",", ActivityPercent)}%), drop of {DroppedUsers} from day {DropDay}, gap {GapDays}d from {GapStart}, " +
            $"limits [{string.Join(",", LimitDays)}], escalations [{string.Join(",", EscalationDays)}], sponsors [{string.Join(",", SponsorDays)}], " +
            $"surveys [{string.Join(",", Surveys)}], created {CreatedDaysBeforeStart}d before, activated {ActivationDay?.ToString() ?? "never"}, " +
            $"peer median {PeerMedian}, seeds {NoiseSeed}/{ShuffleSeed}";
    }

    private static Gen<int[]> Days(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, HistoryDays - 1), n));

    private static readonly Gen<HistorySpec> Histories =
        from users in Gen.Choose(3, 7)
        from extraSeats in Gen.Choose(0, 2)
        from activity in Gen.ArrayOf(Gen.Choose(30, 95), users)
        from dropDay in Gen.Choose(25, 85)
        from dropped in Gen.Choose(0, users)
        from gapStart in Gen.Choose(10, 80)
        from gapDays in Gen.Frequency((3, Gen.Constant(0)), (1, Gen.Choose(1, 20)))
        from limits in Days(3)
        from escalations in Days(4)
        from sponsors in Days(2)
        from surveys in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, HistoryDays - 1).Zip(Gen.Choose(0, 10)), n))
        from created in Gen.Choose(0, 59)
        from activation in Gen.Frequency((1, Gen.Constant<int?>(null)), (2, Gen.Choose(0, HistoryDays - 1).Select(d => (int?)d)))
        from median in Gen.Choose(2, 8)
        from noise in Gen.Choose(0, int.MaxValue - 1)
        from shuffle in Gen.Choose(0, int.MaxValue - 1)
        select new HistorySpec(users, extraSeats, activity, dropDay, dropped, gapStart, gapDays, limits, escalations, sponsors,
            surveys.Select(s => (s.Item1, s.Item2)).ToArray(), created, activation, median, noise, shuffle);

    private static readonly Arbitrary<HistorySpec> HistoryArbitrary = Histories.ToArbitrary();

    private static readonly DateTimeOffset Start = T0.AddDays(-HistoryDays);

    private static DateTimeOffset Day(int d) => Start.AddDays(d);

    /// <summary>The events of the history, by day, each with a unique id. Every user is active on day 0.</summary>
    private static List<List<UsageEvent>> Build(HistorySpec spec)
    {
        var random = new Random(spec.NoiseSeed);
        var events = new EventFactory();
        var days = new List<List<UsageEvent>>();
        for (var d = 0; d < HistoryDays; d++)
        {
            var today = new List<UsageEvent>();
            DateTimeOffset At() => Day(d).AddMinutes(random.Next(-12 * 60, 12 * 60));
            var inGap = d >= spec.GapStart && d < spec.GapStart + spec.GapDays;
            var weekend = (EventDay.Of(Day(d)) + 3) % 7 >= 5; // day 0 of the epoch was a Thursday
            for (var u = 0; u < spec.Users && !inGap; u++)
            {
                var dropped = u < spec.DroppedUsers && d >= spec.DropDay;
                var chance = weekend ? spec.ActivityPercent[u] / 3 : spec.ActivityPercent[u];
                if (d > 0 && (dropped || random.Next(100) >= chance)) continue;
                for (var k = random.Next(1, 4); k > 0; k--) today.Add(events.Active($"u{u}", At(), $"core.f{random.Next(6)}"));
                if (u < 3 && random.Next(3) == 0) today.Add(events.ModuleUse("reports", $"u{u}", At()));
                if (random.Next(10) == 0) today.Add(events.ModuleUse("billing", $"u{u}", At()));
            }
            if (spec.LimitDays.Contains(d)) today.Add(events.LimitReached(At()));
            if (spec.EscalationDays.Contains(d)) today.Add(events.Escalation(At()));
            if (spec.SponsorDays.Contains(d)) today.Add(events.SponsorChanged(At()));
            foreach (var (_, score) in spec.Surveys.Where(s => s.Day == d)) today.Add(events.Survey(score, At()));
            if (spec.ActivationDay == d) today.Add(events.Onboarded(At()));
            days.Add(today);
        }
        return days;
    }

    private static Workspace Fresh(HistorySpec spec)
    {
        var workspace = WorkspaceFactory.WithProfile(WorkspaceFactory.Profile(
            seats: spec.Users + spec.ExtraSeats,
            pilots: new Dictionary<string, IReadOnlyList<string>> { ["reports"] = ["u0", "u1", "u2"] }) with { CreatedAt = Start.AddDays(-spec.CreatedDaysBeforeStart) });
        workspace.SetPeers(new PeerBaseline(spec.PeerMedian, 5), T0);
        return workspace;
    }

    private static void Finish(Workspace workspace, ref int minute) =>
        workspace.AdvanceEngineTime(EventDay.Start(EventDay.Of(Day(HistoryDays))), T0.AddMinutes(++minute));

    /// <summary>Lived through: one batch per day, in day order.</summary>
    private static Workspace Live(HistorySpec spec, List<List<UsageEvent>> days)
    {
        var workspace = Fresh(spec);
        var minute = 0;
        foreach (var day in days.Where(d => d.Count > 0)) workspace.Apply(day.OrderBy(e => e.Timestamp).ToList(), T0.AddMinutes(++minute));
        Finish(workspace, ref minute);
        return workspace;
    }

    /// <summary>Replayed: the same events shuffled, in batches of random size.</summary>
    private static Workspace Shuffled(HistorySpec spec, List<UsageEvent> events)
    {
        var random = new Random(spec.ShuffleSeed);
        var workspace = Fresh(spec);
        var minute = 0;
        var shuffled = events.Shuffled(random);
        for (var i = 0; i < shuffled.Count;)
        {
            var size = Math.Min(random.Next(1, 150), shuffled.Count - i);
            workspace.Apply(shuffled.GetRange(i, size), T0.AddMinutes(++minute));
            i += size;
        }
        Finish(workspace, ref minute);
        return workspace;
    }

    private static List<(string PlayId, string RuleId, string? Subject, PlayStatus Status)> Outcome(Workspace workspace) =>
        workspace.Plays.Where(p => p.Status != PlayStatus.Retracted)
            .Select(p => (p.PlayId, p.RuleId, p.Subject, p.Status))
            .OrderBy(p => p.PlayId, StringComparer.Ordinal).ToList();

    private static void AssertSameOutcome(Workspace expected, Workspace actual)
    {
        Assert.Equal(Outcome(expected), Outcome(actual));
        WorkspaceAssert.MetricsEqual(expected.Metrics(), actual.Metrics());
        WorkspaceAssert.HealthEqual(expected.Health(), actual.Health());
    }

    [Property(MaxTest = MaxTests)]
    public Property Shuffled_batches_end_with_the_plays_and_metrics_of_the_day_by_day_history() =>
        Prop.ForAll(HistoryArbitrary, spec =>
        {
            var days = Build(spec);
            var live = Live(spec, days);
            var replayed = Shuffled(spec, days.SelectMany(d => d).ToList());
            AssertSameOutcome(live, replayed);
        });

    [Property(MaxTest = MaxTests)]
    public Property Retried_events_are_dropped_before_the_workspace_and_change_nothing() =>
        Prop.ForAll(HistoryArbitrary, spec =>
        {
            var days = Build(spec);
            var all = days.SelectMany(d => d).ToList();
            var random = new Random(spec.ShuffleSeed);

            // Retries: about one event in five is delivered again, some time after the first delivery.
            var stream = all.Shuffled(random);
            foreach (var retry in all.Where(_ => random.Next(5) == 0).ToList())
            {
                var first = stream.IndexOf(retry);
                stream.Insert(random.Next(first + 1, stream.Count + 1), retry);
            }

            // The ingest side's de-duplication (EventIdWindow) stands between the stream and the workspace, as in the engine.
            var seen = new EventIdWindow(new DeduplicationOptions());
            var fed = new List<UsageEvent>();
            var workspace = Fresh(spec);
            var minute = 0;
            for (var i = 0; i < stream.Count;)
            {
                var size = Math.Min(random.Next(1, 150), stream.Count - i);
                var now = T0.AddMinutes(++minute);
                var batch = stream.GetRange(i, size).Where(e => seen.TryAdd(e.WorkspaceId, e.EventId, now)).ToList();
                fed.AddRange(batch);
                workspace.Apply(batch, now);
                i += size;
            }
            Finish(workspace, ref minute);

            Assert.Equal(all.Count, fed.Count);
            Assert.Equal(all.Select(e => e.EventId).Order(StringComparer.Ordinal), fed.Select(e => e.EventId).Order(StringComparer.Ordinal));
            Assert.Equal(all.Count, workspace.EventsApplied);
            AssertSameOutcome(Live(spec, days), workspace);
        });

    [Fact]
    public void A_workspace_does_not_deduplicate_by_itself_so_it_must_never_be_fed_a_retried_event()
    {
        var events = new EventFactory();
        var batch = new List<UsageEvent> { events.Active("u1", T0), events.LimitReached(T0) };
        var workspace = WorkspaceFactory.New();
        workspace.Apply(batch, T0);
        workspace.Apply(batch, T0); // what a retry would do without the EventIdWindow in front
        Assert.Equal(4, workspace.EventsApplied);
        Assert.Equal(2, workspace.Metrics().CoreEvents28d);

        var window = new EventIdWindow(new DeduplicationOptions());
        Assert.All(batch, e => Assert.True(window.TryAdd(e.WorkspaceId, e.EventId, T0)));
        Assert.All(batch, e => Assert.False(window.TryAdd(e.WorkspaceId, e.EventId, T0.AddHours(1))));
    }

    [Fact]
    public void The_generated_histories_exercise_the_rules()
    {
        // A fixed sample, so that a generator change that stops producing plays (or retractions) is noticed.
        var samples = Histories.Sample(40, new Rnd(20_759), 20);
        var fired = new HashSet<string>(StringComparer.Ordinal);
        var retractions = 0;
        foreach (var spec in samples)
        {
            var days = Build(spec);
            var live = Live(spec, days);
            fired.UnionWith(live.Plays.Select(p => p.RuleId));
            retractions += Shuffled(spec, days.SelectMany(d => d).ToList()).Plays.Count(p => p.Status == PlayStatus.Retracted);
        }
        Assert.Equal(RuleCatalogue.Default.Rules.Select(r => r.Id).Order(StringComparer.Ordinal), fired.Order(StringComparer.Ordinal));
        Assert.True(retractions > 0);
    }
}
