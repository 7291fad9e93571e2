using SignalEngine.Core.Plays;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres.Tests;

/// <summary>The feed and the webhook outbox in PostgreSQL: written in the play store's statement, claimed once, retried, replayed.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDeliveryTests(PostgresFixture fixture)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static Play Play(string id, PlayKind kind = PlayKind.Expansion, PlayStatus status = PlayStatus.Open, bool shadow = false) => new()
    {
        PlayId = id, WorkspaceId = "ws", RuleId = kind == PlayKind.Expansion ? "expansion.usage_limit" : "risk.sponsor_change",
        EpisodeStart = new DateOnly(2026, 11, 23), Kind = kind, Severity = Severity.Medium, Title = "t", FiredAt = Now, EventTime = Now,
        Owner = new PlayOwner(OwnerRole.Csm, "Dana"), Tier = 2, Pod = "emea", Evidence = new Evidence("m", 1, null, null, 1, "7d", ">="),
        Health = new HealthAtFiring(70, "green"), Status = status, Shadow = shadow,
    };

    [Fact]
    public async Task Recording_queues_deliveries_for_matching_subscriptions_in_the_same_statement()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var plays = new PostgresPlayStore(dataSource);
        var webhooks = new PostgresWebhookStore(dataSource);
        var expansionOnly = await webhooks.CreateAsync("http://127.0.0.1:1/a", new WebhookFilter(["expansion"], [], [], []), WebhookSignature.NewSecret(), Now);
        var everything = await webhooks.CreateAsync("http://127.0.0.1:1/b", WebhookFilter.All, WebhookSignature.NewSecret(), Now);
        var otherPod = await webhooks.CreateAsync("http://127.0.0.1:1/c", new WebhookFilter([], [], ["apac"], []), WebhookSignature.NewSecret(), Now);

        var changes = await plays.RecordAsync([Play("p1"), Play("p2", PlayKind.ChurnRisk), Play("s1", shadow: true)]);
        await plays.RecordAsync([Play("p1")]); // a retry: no new change, no new delivery
        var resolved = await plays.RecordAsync([Play("p1", status: PlayStatus.Resolved)]);

        Assert.Equal(3, changes.Count);
        Assert.Equal("p1.resolved", Assert.Single(resolved).EventId);
        Assert.Equal((2, 0), await webhooks.CountsAsync(expansionOnly.Id));
        Assert.Equal((3, 0), await webhooks.CountsAsync(everything.Id));
        Assert.Equal((0, 0), await webhooks.CountsAsync(otherPod.Id));
        Assert.Equal(changes[1].Position, await plays.PositionOfAsync("p2"));
        Assert.Equal(["p2", "s1.shadow.open", "p1.resolved"], (await plays.ChangesAfterAsync(changes[0].Position, 10)).Select(c => c.EventId));
        Assert.Equal(resolved[0].Position, await plays.HeadAsync());
    }

    [Fact]
    public async Task A_due_delivery_is_claimed_once_retried_and_can_die_and_be_replayed()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var plays = new PostgresPlayStore(dataSource);
        var webhooks = new PostgresWebhookStore(dataSource);
        var subscription = await webhooks.CreateAsync("http://127.0.0.1:1/a", WebhookFilter.All, WebhookSignature.NewSecret(), Now);
        await plays.RecordAsync([Play("p1")]);

        var first = await webhooks.ClaimDueAsync(DateTimeOffset.UtcNow, 10, TimeSpan.FromMinutes(1));
        var second = await webhooks.ClaimDueAsync(DateTimeOffset.UtcNow, 10, TimeSpan.FromMinutes(1));
        var delivery = Assert.Single(first);
        Assert.Empty(second); // leased
        Assert.Equal("p1", delivery.Change.EventId);
        Assert.Equal(Play("p1"), delivery.Change.Play);

        await webhooks.CompleteAsync(delivery.Id, DeliveryStatus.Dead, 3, Now, "HTTP 500");
        Assert.Equal((0, 1), await webhooks.CountsAsync(subscription.Id));
        var dead = Assert.Single(await webhooks.DeadLettersAsync(subscription.Id, 10));
        Assert.Equal("HTTP 500", dead.LastError);

        Assert.Equal(1, await webhooks.ReplayAsync(subscription.Id, null, DateTimeOffset.UtcNow));
        var again = Assert.Single(await webhooks.ClaimDueAsync(DateTimeOffset.UtcNow.AddSeconds(1), 10, TimeSpan.FromMinutes(1)));
        await webhooks.CompleteAsync(again.Id, DeliveryStatus.Delivered, 1, Now, null);
        Assert.Equal((0, 0), await webhooks.CountsAsync(subscription.Id));

        var paused = await webhooks.UpdateAsync(subscription.Id, s => s with { Paused = true });
        Assert.True(paused!.Paused);
        await plays.RecordAsync([Play("p2")]);
        Assert.Empty(await webhooks.ClaimDueAsync(DateTimeOffset.UtcNow.AddSeconds(1), 10, TimeSpan.FromMinutes(1)));
        Assert.True(await webhooks.DeleteAsync(subscription.Id));
        Assert.Null(await webhooks.GetAsync(subscription.Id));
    }

    [Fact]
    public async Task Lifecycle_actions_survive_status_changes_from_the_engine()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var plays = new PostgresPlayStore(dataSource);
        await plays.RecordAsync([Play("p1")]);
        await plays.ActAsync("p1", new PlayAction(PlayAction.Acknowledge, "ari", Now));
        await plays.RecordAsync([Play("p1", status: PlayStatus.Resolved)]);

        var stored = await plays.GetAsync("p1");
        Assert.Equal(PlayStatus.Resolved, stored!.Status);
        Assert.Equal(LifecycleState.Acknowledged, stored.Lifecycle.State);
        Assert.Equal("ari", Assert.Single(stored.Lifecycle.History).Actor);
        Assert.Null(await plays.ActAsync("nope", new PlayAction(PlayAction.Acknowledge, "ari", Now)));
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresDigestTests(PostgresFixture fixture)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static Play Play(string id, DateOnly? digestOn = null, Severity severity = Severity.Medium) => new()
    {
        PlayId = id, WorkspaceId = "ws-" + id, RuleId = "expansion.usage_limit", EpisodeStart = new DateOnly(2026, 11, 23), Kind = PlayKind.Expansion,
        Severity = severity, Title = "t", FiredAt = Now, EventTime = Now, Owner = new PlayOwner(OwnerRole.AccountManager, "Ari"), Tier = 1,
        Evidence = new Evidence("m", 1, null, null, 1, "7d", ">="), Health = new HealthAtFiring(70, "green"), DigestOn = digestOn,
    };

    [Fact]
    public async Task Digested_plays_are_counted_apart_and_their_digest_is_sent_once_to_subscribers()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var plays = new PostgresPlayStore(dataSource);
        var webhooks = new PostgresWebhookStore(dataSource);
        var subscription = await webhooks.CreateAsync("http://127.0.0.1:1/a", WebhookFilter.All, WebhookSignature.NewSecret(), Now);
        var day = new DateOnly(2026, 11, 23);
        await plays.RecordAsync([Play("p1"), Play("p2"), Play("p3", day), Play("p4", day, Severity.Low)]);
        // A status change from the engine keeps the play in its digest.
        await plays.RecordAsync([Play("p3") with { Status = PlayStatus.Resolved }]);

        Assert.Equal(2, await plays.CountPushedAsync("Ari", day));
        Assert.Equal((2, 0), await webhooks.CountsAsync(subscription.Id)); // p1, p2 on their own; p3 and p4 wait
        var waiting = await plays.WaitingForDigestAsync(day);
        Assert.Equal(["p3", "p4"], waiting.Select(p => p.PlayId).Order());

        var digest = new PlayDigest("Ari", day, waiting);
        var change = await plays.RecordDigestAsync(digest);
        Assert.NotNull(change);
        Assert.Equal(digest.Id, change!.EventId);
        Assert.Null(await plays.RecordDigestAsync(digest)); // once
        Assert.Empty(await plays.WaitingForDigestAsync(day));
        Assert.Equal((3, 0), await webhooks.CountsAsync(subscription.Id));
        var fromFeed = (await plays.ChangesAfterAsync(change.Position - 1, 10)).Single();
        Assert.Equal(digest, fromFeed.Digest);
        Assert.Equal("digest", fromFeed.EventType);
    }
}
