using SignalEngine.Core.Activity;
using SignalEngine.Core.Health;
using SignalEngine.Core.Plays;
using SignalEngine.Core.Rules;

namespace SignalEngine.Core.Workspaces;

/// <summary>
/// The workspace's own compact binary snapshot, so grain storage holds one opaque, versioned blob
/// whatever the provider (memory, PostgreSQL). Bump <see cref="FormatVersion"/> when the layout changes
/// and keep reading the old one.
/// </summary>
public sealed partial class Workspace
{
    public const byte FormatVersion = 1;

    public byte[] ToSnapshot()
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer))
        {
            w.Write(FormatVersion);
            w.Write(Id);
            w.Write(_profiles.Count);
            foreach (var (from, profile) in _profiles) { w.Write(from); WriteProfile(w, profile); }
            w.Write(FirstUserActivityDay ?? int.MinValue);
            w.Write(EventsApplied);
            WriteInstant(w, Watermark);
            WriteInstant(w, EngineTime);
            WriteInstant(w, ActivatedAt);
            w.Write(HasSupportData);
            w.Write(HasCrmData);
            w.Write(EverActive);
            w.Write(Peers.HasValue);
            if (Peers is { } peers) { w.Write(peers.Median); w.Write(peers.Workspaces); }
            w.Write(_surveys.Count);
            foreach (var (at, score) in _surveys) { w.Write(at.UtcTicks); w.Write(score); }
            WriteBitmap(w, _dataDays);
            WriteBitmap(w, _userDays);
            WriteBitmaps(w, _users);
            WriteBitmaps(w, _moduleDays);
            WriteBitmaps(w, _coreFeatures);
            w.Write(_moduleUsers.Count);
            foreach (var (module, users) in _moduleUsers) { w.Write(module); WriteBitmaps(w, users); }
            WriteCounter(w, _coreEvents);
            w.Write(_signals.Count);
            foreach (var (name, counter) in _signals) { w.Write(name); WriteCounter(w, counter); }
            w.Write(_evaluationStarted);
            w.Write(_anchorDay);
            WriteStates(w, _anchorStates);
            w.Write(_evaluatedThrough);
            WriteStates(w, _committed);
            w.Write(_dirtyFrom ?? int.MaxValue);
            w.Write(_plays.Count);
            foreach (var play in _plays.Values) WritePlay(w, play);
        }
        return buffer.ToArray();
    }

    public static Workspace FromSnapshot(ReadOnlySpan<byte> snapshot, RuleCatalogue catalogue, HealthModel healthModel)
    {
        using var stream = new MemoryStream(snapshot.ToArray(), writable: false);
        using var r = new BinaryReader(stream);
        var version = r.ReadByte();
        if (version != FormatVersion) throw new InvalidDataException($"workspace snapshot format {version} is not supported (expected {FormatVersion})");
        var workspace = new Workspace(r.ReadString(), catalogue, healthModel);
        for (var i = r.ReadInt32(); i > 0; i--)
        {
            var from = r.ReadInt32();
            workspace._profiles.Add((from, ReadProfile(r)!));
        }
        var firstUserDay = r.ReadInt32();
        workspace.FirstUserActivityDay = firstUserDay == int.MinValue ? null : firstUserDay;
        workspace.RestoreScalars(r);
        ReadRest(r, workspace);
        return workspace;
    }

    private void RestoreScalars(BinaryReader r)
    {
        EventsApplied = r.ReadInt64();
        Watermark = ReadInstant(r);
        EngineTime = ReadInstant(r);
        ActivatedAt = ReadInstant(r);
        HasSupportData = r.ReadBoolean();
        HasCrmData = r.ReadBoolean();
        EverActive = r.ReadBoolean();
    }

    private static void ReadRest(BinaryReader r, Workspace workspace)
    {
        if (r.ReadBoolean()) workspace.Peers = new PeerBaseline(r.ReadDouble(), r.ReadInt32());
        for (var i = r.ReadInt32(); i > 0; i--) workspace._surveys.Add((new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero), r.ReadDouble()));
        workspace._dataDays = ReadBitmap(r);
        workspace._userDays = ReadBitmap(r);
        ReadBitmaps(r, workspace._users);
        ReadBitmaps(r, workspace._moduleDays);
        ReadBitmaps(r, workspace._coreFeatures);
        for (var i = r.ReadInt32(); i > 0; i--)
        {
            var users = new Dictionary<string, ActivityBitmap>(StringComparer.Ordinal);
            workspace._moduleUsers[r.ReadString()] = users;
            ReadBitmaps(r, users);
        }
        ReadCounter(r, workspace._coreEvents);
        for (var i = r.ReadInt32(); i > 0; i--)
        {
            var counter = new DayCounter();
            workspace._signals[r.ReadString()] = counter;
            ReadCounter(r, counter);
        }
        workspace._evaluationStarted = r.ReadBoolean();
        workspace._anchorDay = r.ReadInt32();
        workspace._anchorStates = ReadStates(r);
        workspace._evaluatedThrough = r.ReadInt32();
        workspace._committed = ReadStates(r);
        var dirty = r.ReadInt32();
        workspace._dirtyFrom = dirty == int.MaxValue ? null : dirty;
        for (var i = r.ReadInt32(); i > 0; i--)
        {
            var play = ReadPlay(r);
            workspace._plays[play.PlayId] = play;
        }
    }

    private static void WriteStates(BinaryWriter w, Dictionary<string, RuleState> states)
    {
        w.Write(states.Count);
        foreach (var (key, state) in states)
        {
            w.Write(key);
            w.Write((byte)state.Phase);
            w.Write(state.Since.UtcTicks);
            w.Write(state.EpisodeStartDay);
            WriteInstant(w, state.CooldownUntil);
        }
    }

    private static Dictionary<string, RuleState> ReadStates(BinaryReader r)
    {
        var states = new Dictionary<string, RuleState>(StringComparer.Ordinal);
        for (var i = r.ReadInt32(); i > 0; i--)
        {
            var key = r.ReadString();
            states[key] = new RuleState((RulePhase)r.ReadByte(), new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero), r.ReadInt32(), ReadInstant(r));
        }
        return states;
    }

    private static void WriteBitmap(BinaryWriter w, ActivityBitmap bitmap)
    {
        for (var i = 0; i < ActivityBitmap.Words64; i++) w.Write(bitmap.Word(i));
        w.Write(bitmap.HeadDay);
    }

    private static ActivityBitmap ReadBitmap(BinaryReader r)
    {
        Span<ulong> words = stackalloc ulong[ActivityBitmap.Words64];
        for (var i = 0; i < words.Length; i++) words[i] = r.ReadUInt64();
        return new ActivityBitmap(words, r.ReadInt32());
    }

    private static void WriteBitmaps(BinaryWriter w, Dictionary<string, ActivityBitmap> map)
    {
        w.Write(map.Count);
        foreach (var (key, bitmap) in map) { w.Write(key); WriteBitmap(w, bitmap); }
    }

    private static void ReadBitmaps(BinaryReader r, Dictionary<string, ActivityBitmap> map)
    {
        for (var i = r.ReadInt32(); i > 0; i--) map[r.ReadString()] = ReadBitmap(r);
    }

    private static void WriteCounter(BinaryWriter w, DayCounter counter)
    {
        var snapshot = counter.Snapshot();
        w.Write(snapshot.HasValue);
        if (snapshot is not { } s) return;
        w.Write(s.HeadDay);
        foreach (var count in s.Counts) w.Write(count);
    }

    private static void ReadCounter(BinaryReader r, DayCounter into)
    {
        if (!r.ReadBoolean()) return;
        var head = r.ReadInt32();
        var counts = new int[ActivityBitmap.Span];
        for (var i = 0; i < counts.Length; i++) counts[i] = r.ReadInt32();
        into.Restore(head, counts);
    }

    private static void WriteInstant(BinaryWriter w, DateTimeOffset? instant)
    {
        w.Write(instant.HasValue);
        if (instant is { } value) w.Write(value.UtcTicks);
    }

    private static DateTimeOffset? ReadInstant(BinaryReader r) => r.ReadBoolean() ? new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero) : null;

    private static void WriteText(BinaryWriter w, string? text)
    {
        w.Write(text is not null);
        if (text is not null) w.Write(text);
    }

    private static string? ReadText(BinaryReader r) => r.ReadBoolean() ? r.ReadString() : null;

    private static void WriteNumber(BinaryWriter w, double? number)
    {
        w.Write(number.HasValue);
        if (number is { } value) w.Write(value);
    }

    private static double? ReadNumber(BinaryReader r) => r.ReadBoolean() ? r.ReadDouble() : null;

    private static void WriteProfile(BinaryWriter w, WorkspaceProfile? p)
    {
        w.Write(p is not null);
        if (p is null) return;
        w.Write(p.Name);
        w.Write(p.CreatedAt.UtcTicks);
        WriteText(w, p.Plan);
        w.Write(p.SeatsPurchased ?? -1);
        w.Write(p.Mrr.HasValue);
        if (p.Mrr is { } mrr) w.Write(mrr);
        w.Write(p.Tier);
        WriteText(w, p.Segment);
        WriteText(w, p.Pod);
        WriteText(w, p.Csm);
        WriteText(w, p.AccountManager);
        w.Write(p.Pilots.Count);
        foreach (var (module, users) in p.Pilots)
        {
            w.Write(module);
            w.Write(users.Count);
            foreach (var user in users) w.Write(user);
        }
    }

    private static WorkspaceProfile? ReadProfile(BinaryReader r)
    {
        if (!r.ReadBoolean()) return null;
        var name = r.ReadString();
        var createdAt = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
        var plan = ReadText(r);
        var seats = r.ReadInt32();
        decimal? mrr = r.ReadBoolean() ? r.ReadDecimal() : null;
        var tier = r.ReadInt32();
        var segment = ReadText(r);
        var pod = ReadText(r);
        var csm = ReadText(r);
        var accountManager = ReadText(r);
        var pilots = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        for (var i = r.ReadInt32(); i > 0; i--)
        {
            var module = r.ReadString();
            var users = new string[r.ReadInt32()];
            for (var u = 0; u < users.Length; u++) users[u] = r.ReadString();
            pilots[module] = users;
        }
        return new WorkspaceProfile
        {
            Name = name, CreatedAt = createdAt, Plan = plan, SeatsPurchased = seats < 0 ? null : seats, Mrr = mrr, Tier = tier,
            Segment = segment, Pod = pod, Csm = csm, AccountManager = accountManager, Pilots = pilots,
        };
    }

    private static void WritePlay(BinaryWriter w, Play p)
    {
        w.Write(p.PlayId);
        w.Write(p.WorkspaceId);
        w.Write(p.RuleId);
        WriteText(w, p.Subject);
        w.Write(p.EpisodeStart.DayNumber);
        w.Write((byte)p.Kind);
        w.Write((byte)p.Severity);
        w.Write(p.Title);
        w.Write(p.FiredAt.UtcTicks);
        w.Write(p.EventTime.UtcTicks);
        w.Write((byte)p.Owner.Role);
        WriteText(w, p.Owner.Name);
        w.Write(p.Tier ?? 0);
        WriteText(w, p.Pod);
        WriteText(w, p.Segment);
        w.Write(p.Evidence.Metric);
        w.Write(p.Evidence.Value);
        WriteNumber(w, p.Evidence.Baseline);
        WriteNumber(w, p.Evidence.Limit);
        w.Write(p.Evidence.Threshold);
        w.Write(p.Evidence.Window);
        w.Write(p.Evidence.Comparison);
        WriteText(w, p.Evidence.Detail);
        w.Write(p.Health.Score ?? -1);
        w.Write(p.Health.Status);
        w.Write((byte)p.Status);
        WriteInstant(w, p.ResolvedAt);
        WriteInstant(w, p.ResolvedEventTime);
        w.Write(p.Shadow);
        WriteText(w, p.HeldBy);
        w.Write(p.DigestOn?.DayNumber ?? -1);
    }

    private static Play ReadPlay(BinaryReader r)
    {
        var playId = r.ReadString();
        var workspaceId = r.ReadString();
        var ruleId = r.ReadString();
        var subject = ReadText(r);
        var episodeStart = DateOnly.FromDayNumber(r.ReadInt32());
        var kind = (PlayKind)r.ReadByte();
        var severity = (Severity)r.ReadByte();
        var title = r.ReadString();
        var firedAt = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
        var eventTime = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero);
        var owner = new PlayOwner((OwnerRole)r.ReadByte(), ReadText(r));
        var tier = r.ReadInt32();
        var pod = ReadText(r);
        var segment = ReadText(r);
        var evidence = new Evidence(r.ReadString(), r.ReadDouble(), ReadNumber(r), ReadNumber(r), r.ReadDouble(), r.ReadString(), r.ReadString(), ReadText(r));
        var score = r.ReadInt32();
        var health = new HealthAtFiring(score < 0 ? null : score, r.ReadString());
        return new Play
        {
            PlayId = playId, WorkspaceId = workspaceId, RuleId = ruleId, Subject = subject, EpisodeStart = episodeStart, Kind = kind,
            Severity = severity, Title = title, FiredAt = firedAt, EventTime = eventTime, Owner = owner, Tier = tier == 0 ? null : tier,
            Pod = pod, Segment = segment, Evidence = evidence, Health = health,
            Status = (PlayStatus)r.ReadByte(), ResolvedAt = ReadInstant(r), ResolvedEventTime = ReadInstant(r), Shadow = r.ReadBoolean(), HeldBy = ReadText(r), DigestOn = r.ReadInt32() is var digest and >= 0 ? DateOnly.FromDayNumber(digest) : null,
        };
    }
}
