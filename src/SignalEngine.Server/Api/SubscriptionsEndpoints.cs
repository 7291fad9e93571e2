using System.Text.Json;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;

namespace SignalEngine.Server.Api;

/// <summary><c>/v1/subscriptions</c>: webhook endpoints of CS tools, their delivery state, pausing, secret rotation and dead letters.</summary>
public static class SubscriptionsEndpoints
{
    public sealed record FilterBody(string[]? Kinds, int[]? Tiers, string[]? Pods, string[]? RuleIds);

    public sealed record CreateBody(string? Url, string? Secret, FilterBody? Filter);

    public sealed record SecretBody(string? Secret);

    /// <summary>What the API shows of a subscription: never the secrets, always the delivery state.</summary>
    public sealed record SubscriptionView(
        string Id, string Url, FilterBody Filter, DateTimeOffset CreatedAt, string State, bool Paused, string? DisabledReason,
        int PendingDeliveries, int DeadLetters, DateTimeOffset? LastSuccessAt, DateTimeOffset? LastFailureAt, string? LastError,
        DateTimeOffset? FailingSince, int ActiveSecrets);

    public sealed record DeadLetterView(long Id, string EventId, string Type, int Attempts, string? LastError, Play Play);

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/subscriptions", Create);
        v1.MapGet("/subscriptions", List);
        v1.MapGet("/subscriptions/{id}", Get);
        v1.MapDelete("/subscriptions/{id}", Delete);
        v1.MapPost("/subscriptions/{id}/pause", (string id, IWebhookStore store) => Change(id, store, s => s with { Paused = true }));
        v1.MapPost("/subscriptions/{id}/resume", (string id, IWebhookStore store) =>
            Change(id, store, s => s with { Paused = false, DisabledReason = null, FailingSince = null }));
        v1.MapPost("/subscriptions/{id}/secrets", RotateSecret);
        v1.MapGet("/subscriptions/{id}/dead-letters", DeadLetters);
        v1.MapPost("/subscriptions/{id}/dead-letters/replay", Replay);
    }

    private static async Task<IResult> Create(HttpContext context, IWebhookStore store, [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock)
    {
        CreateBody? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<CreateBody>(ApiJson.Options, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiJson.Error(StatusCodes.Status400BadRequest, $"body is not valid JSON: {ex.Message}");
        }
        var errors = new List<string>();
        if (body?.Url is not { } url || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            errors.Add("url: required, an absolute http:// or https:// URL");
        if (body?.Secret is not { } secret || !WebhookSignature.IsValidSecret(secret))
            errors.Add("secret: required, 'whsec_' followed by base64 of at least 16 random bytes");
        var filter = body?.Filter ?? new FilterBody(null, null, null, null);
        foreach (var kind in filter.Kinds ?? [])
            if (!PlayVocabulary.TryParseKind(kind, out _)) errors.Add($"filter.kinds: '{kind}' is not one of churn_risk, expansion, onboarding, adoption");
        foreach (var tier in filter.Tiers ?? [])
            if (tier is < 1 or > 3) errors.Add($"filter.tiers: {tier} is not 1, 2 or 3");
        if (errors.Count > 0) return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid subscription", errors);
        var created = await store.CreateAsync(body!.Url!, ToFilter(filter), body.Secret!, clock.GetUtcNow());
        return Results.Json(await View(created, store), ApiJson.Options, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> List(IWebhookStore store)
    {
        var views = new List<SubscriptionView>();
        foreach (var subscription in await store.ListAsync()) views.Add(await View(subscription, store));
        return Results.Json(new { subscriptions = views }, ApiJson.Options);
    }

    private static async Task<IResult> Get(string id, IWebhookStore store) =>
        await store.GetAsync(id) is { } subscription ? Results.Json(await View(subscription, store), ApiJson.Options) : NotFound(id);

    private static async Task<IResult> Delete(string id, IWebhookStore store) =>
        await store.DeleteAsync(id) ? Results.NoContent() : NotFound(id);

    private static async Task<IResult> Change(string id, IWebhookStore store, Func<WebhookSubscription, WebhookSubscription> change) =>
        await store.UpdateAsync(id, change) is { } updated ? Results.Json(await View(updated, store), ApiJson.Options) : NotFound(id);

    /// <summary>Adds a new secret; the previous ones keep signing for the rotation overlap, so receivers can switch without a gap.</summary>
    private static async Task<IResult> RotateSecret(string id, HttpContext context, IWebhookStore store, WebhookOptions options,
        [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock)
    {
        var body = await context.Request.ReadFromJsonAsync<SecretBody>(ApiJson.Options, context.RequestAborted);
        if (body?.Secret is not { } secret || !WebhookSignature.IsValidSecret(secret))
            return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid secret", ["secret: required, 'whsec_' followed by base64 of at least 16 random bytes"]);
        var now = clock.GetUtcNow();
        return await Change(id, store, s => s with
        {
            Secrets = [.. s.Secrets.Where(x => x.ExpiresAt is null || x.ExpiresAt > now).Select(x => x with { ExpiresAt = x.ExpiresAt ?? now + options.RotationOverlap }),
                       new WebhookSecret(secret, now, null)],
        });
    }

    private static async Task<IResult> DeadLetters(string id, IWebhookStore store)
    {
        if (await store.GetAsync(id) is null) return NotFound(id);
        var dead = await store.DeadLettersAsync(id, 1000);
        return Results.Json(new { deadLetters = dead.Select(d => new DeadLetterView(d.Id, d.Change.EventId, d.Change.EventType, d.Attempts, d.LastError, d.Change.Play)) }, ApiJson.Options);
    }

    private static async Task<IResult> Replay(string id, long? deliveryId, IWebhookStore store, [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock)
    {
        if (await store.GetAsync(id) is null) return NotFound(id);
        var replayed = await store.ReplayAsync(id, deliveryId, clock.GetUtcNow());
        return Results.Json(new { replayed }, ApiJson.Options);
    }

    private static async Task<SubscriptionView> View(WebhookSubscription s, IWebhookStore store)
    {
        var (pending, dead) = await store.CountsAsync(s.Id);
        var state = s.DisabledReason is not null ? "disabled" : s.Paused ? "paused" : s.FailingSince is not null ? "failing" : "active";
        return new SubscriptionView(s.Id, s.Url, new FilterBody(s.Filter.Kinds, s.Filter.Tiers, s.Filter.Pods, s.Filter.RuleIds), s.CreatedAt, state,
            s.Paused, s.DisabledReason, pending, dead, s.LastSuccessAt, s.LastFailureAt, s.LastError, s.FailingSince, s.Secrets.Length);
    }

    private static WebhookFilter ToFilter(FilterBody body) => new(body.Kinds ?? [], body.Tiers ?? [], body.Pods ?? [], body.RuleIds ?? []);

    private static IResult NotFound(string id) => ApiJson.Error(StatusCodes.Status404NotFound, $"subscription '{id}' is unknown");
}
