namespace SignalEngine.Core.Plays;

/// <summary>
/// Fatigue control, from the catalogue's <c>fatigue:</c> section: each person (CSM, account manager) gets
/// at most <see cref="MaxPlaysPerOwnerPerDay"/> plays pushed per UTC day; plays of the
/// <see cref="AlwaysDeliver"/> severities always go out; the rest wait for the owner's digest, sent at
/// <see cref="DigestHourUtc"/>. The digital channel is not a person and has no budget.
/// </summary>
public sealed record FatiguePolicy
{
    /// <summary>0 turns fatigue control off.</summary>
    public int MaxPlaysPerOwnerPerDay { get; init; }

    public IReadOnlySet<Severity> AlwaysDeliver { get; init; } = new HashSet<Severity> { Severity.High, Severity.Critical };

    public int DigestHourUtc { get; init; } = 17;

    public static FatiguePolicy Off { get; } = new();

    /// <summary>Whether a new play for a person who already got <paramref name="deliveredToday"/> today goes to the digest instead.</summary>
    public bool SendsToDigest(Play play, int deliveredToday) =>
        MaxPlaysPerOwnerPerDay > 0
        && play.Owner.Role != OwnerRole.Digital && play.Owner.Name is not null
        && !AlwaysDeliver.Contains(play.Severity)
        && deliveredToday >= MaxPlaysPerOwnerPerDay;
}

/// <summary>One owner's plays of one day that waited for the digest, sent together.</summary>
public sealed record PlayDigest(string Owner, DateOnly Day, IReadOnlyList<Play> Plays)
{
    public string Id => $"digest.{Day:yyyy-MM-dd}.{Owner}";

    public bool Equals(PlayDigest? other) => other is not null && Owner == other.Owner && Day == other.Day && Plays.SequenceEqual(other.Plays);

    public override int GetHashCode() => HashCode.Combine(Owner, Day, Plays.Count);
}
