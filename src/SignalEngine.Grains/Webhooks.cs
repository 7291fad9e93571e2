using System.Security.Cryptography;
using System.Text;
using SignalEngine.Core.Plays;

namespace SignalEngine.Grains;

/// <summary>Which plays a subscription receives; empty parts match everything.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookFilter(
    [property: Id(0)] string[] Kinds,
    [property: Id(1)] int[] Tiers,
    [property: Id(2)] string[] Pods,
    [property: Id(3)] string[] RuleIds)
{
    public static WebhookFilter All { get; } = new([], [], [], []);

    public bool Matches(Play play) =>
        (Kinds.Length == 0 || Kinds.Contains(PlayVocabulary.Name(play.Kind))) &&
        (Tiers.Length == 0 || (play.Tier is { } tier && Tiers.Contains(tier))) &&
        (Pods.Length == 0 || (play.Pod is { } pod && Pods.Contains(pod))) &&
        (RuleIds.Length == 0 || RuleIds.Contains(play.RuleId));
}

/// <summary>A signing secret; during a rotation the old one keeps signing until it expires, so receivers never see a gap.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookSecret([property: Id(0)] string Secret, [property: Id(1)] DateTimeOffset AddedAt, [property: Id(2)] DateTimeOffset? ExpiresAt);

/// <summary>A CS tool's endpoint and what it wants, with its delivery state.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookSubscription(
    [property: Id(0)] string Id,
    [property: Id(1)] string Url,
    [property: Id(2)] WebhookFilter Filter,
    [property: Id(3)] WebhookSecret[] Secrets,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] bool Paused,
    [property: Id(6)] string? DisabledReason,
    [property: Id(7)] DateTimeOffset? FailingSince,
    [property: Id(8)] DateTimeOffset? LastSuccessAt,
    [property: Id(9)] DateTimeOffset? LastFailureAt,
    [property: Id(10)] string? LastError)
{
    public bool Active => !Paused && DisabledReason is null;

    /// <summary>Secrets that still sign at <paramref name="now"/>.</summary>
    public IEnumerable<string> SigningSecrets(DateTimeOffset now) => Secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now).Select(s => s.Secret);
}

public enum DeliveryStatus { Pending, Delivered, Dead }

/// <summary>One play change to deliver to one subscription: the outbox row.</summary>
[GenerateSerializer, Immutable]
public sealed record WebhookDelivery(
    [property: Id(0)] long Id,
    [property: Id(1)] string SubscriptionId,
    [property: Id(2)] PlayChange Change,
    [property: Id(3)] int Attempts,
    [property: Id(4)] DateTimeOffset NextAttemptAt,
    [property: Id(5)] DeliveryStatus Status,
    [property: Id(6)] string? LastError);

/// <summary>How hard deliveries are tried before they become dead letters, and when an endpoint is disabled.</summary>
public sealed record WebhookOptions
{
    /// <summary>Wait before each retry (the Standard Webhooks schedule, about a day and a half in all); ±20% jitter is added.</summary>
    public IReadOnlyList<TimeSpan> RetrySchedule { get; init; } =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2),
        TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>A response must be 2xx within this time to count as delivered.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>An endpoint that has only failed for this long is disabled, with the reason shown.</summary>
    public TimeSpan DisableAfter { get; init; } = TimeSpan.FromDays(5);

    /// <summary>How long the previous secret keeps signing after a rotation.</summary>
    public TimeSpan RotationOverlap { get; init; } = TimeSpan.FromHours(24);

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The wait before attempt <paramref name="attempts"/> + 1, or null when the schedule is exhausted.</summary>
    public TimeSpan? DelayAfter(int attempts, Random random) =>
        attempts - 1 < RetrySchedule.Count ? RetrySchedule[attempts - 1] * (0.8 + 0.4 * random.NextDouble()) : null;
}

/// <summary>
/// Standard Webhooks signing: <c>webhook-signature: v1,&lt;base64 HMAC-SHA256(secret, "{id}.{timestamp}.{body}")&gt;</c>,
/// one signature per active secret, space-separated. Secrets are <c>whsec_</c> + base64 of the key bytes.
/// </summary>
public static class WebhookSignature
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static bool IsValidSecret(string secret)
    {
        if (!secret.StartsWith(SecretPrefix, StringComparison.Ordinal)) return false;
        Span<byte> buffer = stackalloc byte[256];
        return Convert.TryFromBase64String(secret[SecretPrefix.Length..], buffer, out var length) && length >= 16;
    }

    public static string Sign(IEnumerable<string> secrets, string messageId, long timestamp, string body)
    {
        var content = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.{body}");
        return string.Join(' ', secrets.Select(secret =>
            "v1," + Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(secret[SecretPrefix.Length..]), content))));
    }
}

/// <summary>Subscriptions and the delivery outbox. Durable mode keeps both in PostgreSQL; memory mode in the process.</summary>
public interface IWebhookStore
{
    Task<WebhookSubscription> CreateAsync(string url, WebhookFilter filter, string secret, DateTimeOffset now);

    Task<WebhookSubscription[]> ListAsync();

    Task<WebhookSubscription?> GetAsync(string id);

    Task<bool> DeleteAsync(string id);

    /// <summary>Applies a change to a subscription (pause, resume, rotate, record an outcome); null when it does not exist.</summary>
    Task<WebhookSubscription?> UpdateAsync(string id, Func<WebhookSubscription, WebhookSubscription> change);

    /// <summary>Queues the changes for every active subscription whose filter matches (memory mode; durable mode queues inside the play store's transaction).</summary>
    Task EnqueueAsync(IReadOnlyList<PlayChange> changes, DateTimeOffset now);

    /// <summary>Claims up to <paramref name="max"/> due deliveries for <paramref name="lease"/>, so no other silo sends them meanwhile.</summary>
    Task<WebhookDelivery[]> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease);

    Task CompleteAsync(long deliveryId, DeliveryStatus status, int attempts, DateTimeOffset nextAttemptAt, string? error);

    Task<(int Pending, int Dead)> CountsAsync(string subscriptionId);

    Task<WebhookDelivery[]> DeadLettersAsync(string subscriptionId, int max);

    /// <summary>Puts dead letters back in the queue (one, or all of the subscription's); returns how many.</summary>
    Task<int> ReplayAsync(string subscriptionId, long? deliveryId, DateTimeOffset now);
}

/// <summary>Memory mode's subscriptions and outbox.</summary>
public sealed class MemoryWebhookStore : IWebhookStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, WebhookSubscription> _subscriptions = new(StringComparer.Ordinal);
    private readonly Dictionary<long, (WebhookDelivery Delivery, DateTimeOffset LeasedUntil)> _deliveries = [];
    private long _nextDelivery;

    public Task<WebhookSubscription> CreateAsync(string url, WebhookFilter filter, string secret, DateTimeOffset now)
    {
        var subscription = new WebhookSubscription("sub_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10)), url, filter,
            [new WebhookSecret(secret, now, null)], now, false, null, null, null, null, null);
        lock (_lock) _subscriptions[subscription.Id] = subscription;
        return Task.FromResult(subscription);
    }

    public Task<WebhookSubscription[]> ListAsync()
    {
        lock (_lock) return Task.FromResult(_subscriptions.Values.OrderBy(s => s.CreatedAt).ToArray());
    }

    public Task<WebhookSubscription?> GetAsync(string id)
    {
        lock (_lock) return Task.FromResult(_subscriptions.GetValueOrDefault(id));
    }

    public Task<bool> DeleteAsync(string id)
    {
        lock (_lock)
        {
            foreach (var key in _deliveries.Where(d => d.Value.Delivery.SubscriptionId == id).Select(d => d.Key).ToList()) _deliveries.Remove(key);
            return Task.FromResult(_subscriptions.Remove(id));
        }
    }

    public Task<WebhookSubscription?> UpdateAsync(string id, Func<WebhookSubscription, WebhookSubscription> change)
    {
        lock (_lock)
        {
            if (!_subscriptions.TryGetValue(id, out var subscription)) return Task.FromResult<WebhookSubscription?>(null);
            return Task.FromResult<WebhookSubscription?>(_subscriptions[id] = change(subscription));
        }
    }

    public Task EnqueueAsync(IReadOnlyList<PlayChange> changes, DateTimeOffset now)
    {
        lock (_lock)
        {
            foreach (var change in changes)
                foreach (var subscription in _subscriptions.Values.Where(s => s.DisabledReason is null && s.Filter.Matches(change.Play)))
                {
                    var id = ++_nextDelivery;
                    _deliveries[id] = (new WebhookDelivery(id, subscription.Id, change, 0, now, DeliveryStatus.Pending, null), DateTimeOffset.MinValue);
                }
        }
        return Task.CompletedTask;
    }

    public Task<WebhookDelivery[]> ClaimDueAsync(DateTimeOffset now, int max, TimeSpan lease)
    {
        lock (_lock)
        {
            var due = _deliveries.Values
                .Where(d => d.Delivery.Status == DeliveryStatus.Pending && d.Delivery.NextAttemptAt <= now && d.LeasedUntil <= now
                            && _subscriptions.TryGetValue(d.Delivery.SubscriptionId, out var s) && s.Active)
                .OrderBy(d => d.Delivery.NextAttemptAt).ThenBy(d => d.Delivery.Id)
                .Take(max).Select(d => d.Delivery).ToArray();
            foreach (var delivery in due) _deliveries[delivery.Id] = (delivery, now + lease);
            return Task.FromResult(due);
        }
    }

    public Task CompleteAsync(long deliveryId, DeliveryStatus status, int attempts, DateTimeOffset nextAttemptAt, string? error)
    {
        lock (_lock)
        {
            if (!_deliveries.TryGetValue(deliveryId, out var entry)) return Task.CompletedTask;
            // Delivered rows have done their job; keep only what can still be sent or replayed.
            if (status == DeliveryStatus.Delivered) _deliveries.Remove(deliveryId);
            else _deliveries[deliveryId] = (entry.Delivery with { Status = status, Attempts = attempts, NextAttemptAt = nextAttemptAt, LastError = error }, DateTimeOffset.MinValue);
        }
        return Task.CompletedTask;
    }

    public Task<(int Pending, int Dead)> CountsAsync(string subscriptionId)
    {
        lock (_lock)
        {
            var mine = _deliveries.Values.Where(d => d.Delivery.SubscriptionId == subscriptionId).ToList();
            return Task.FromResult((mine.Count(d => d.Delivery.Status == DeliveryStatus.Pending), mine.Count(d => d.Delivery.Status == DeliveryStatus.Dead)));
        }
    }

    public Task<WebhookDelivery[]> DeadLettersAsync(string subscriptionId, int max)
    {
        lock (_lock)
        {
            return Task.FromResult(_deliveries.Values.Select(d => d.Delivery)
                .Where(d => d.SubscriptionId == subscriptionId && d.Status == DeliveryStatus.Dead)
                .OrderBy(d => d.Id).Take(max).ToArray());
        }
    }

    public Task<int> ReplayAsync(string subscriptionId, long? deliveryId, DateTimeOffset now)
    {
        lock (_lock)
        {
            var dead = _deliveries.Values.Select(d => d.Delivery)
                .Where(d => d.SubscriptionId == subscriptionId && d.Status == DeliveryStatus.Dead && (deliveryId is null || d.Id == deliveryId)).ToList();
            foreach (var delivery in dead)
                _deliveries[delivery.Id] = (delivery with { Status = DeliveryStatus.Pending, Attempts = 0, NextAttemptAt = now, LastError = null }, DateTimeOffset.MinValue);
            return Task.FromResult(dead.Count);
        }
    }
}
