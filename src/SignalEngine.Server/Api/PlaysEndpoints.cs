using System.Globalization;
using System.Text;
using System.Text.Json;
using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;
using SignalEngine.Server.Feed;
using System.Net.Http.Json;

namespace SignalEngine.Server.Api;

/// <summary><c>GET /v1/plays</c> (query) and <c>GET /v1/plays/stream</c> (Server-Sent Events).</summary>
public static class PlaysEndpoints
{
    private static readonly TimeSpan KeepAliveEvery = TimeSpan.FromSeconds(15);

    public sealed record PlaysResponse(IReadOnlyList<Play> Plays);

    public static async Task<IResult> Query(HttpRequest request, IGrainFactory grains)
    {
        var (query, errors) = ParseQuery(request.Query, allowPaging: true);
        if (errors.Count > 0) return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid query", errors);
        var plays = await grains.GetGrain<IPlayLedgerGrain>(0).Query(query);
        return Results.Json(new PlaysResponse(plays), ApiJson.Options);
    }

    /// <summary>
    /// One <c>event: play</c> per fired play (<c>id:</c> its play id), one <c>event: play_resolved</c> when it
    /// resolves (<c>id:</c> play id + ".resolved") and <c>event: play_retracted</c> if late data showed it never
    /// held; a comment line every 15 s keeps proxies from closing it. Shadow plays never appear here.
    /// With <c>Last-Event-ID</c> (or <c>?lastEventId=</c>) the stream first replays what the client missed:
    /// no change is lost or repeated across a reconnect while the change is retained.
    /// </summary>
    public static async Task Stream(HttpContext context, LivePlayFeed feed, IGrainFactory grains, IHostApplicationLifetime lifetime)
    {
        var (query, errors) = ParseQuery(context.Request.Query, allowPaging: false);
        if (errors.Count > 0)
        {
            await ApiJson.Error(StatusCodes.Status400BadRequest, "invalid query", errors).ExecuteAsync(context);
            return;
        }
        var lastEventId = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : context.Request.Query["lastEventId"].ToString();
        var ledger = grains.GetGrain<IPlayLedgerGrain>(0);
        long? resumeFrom = null;
        string? gap = null;
        if (lastEventId.Length > 0)
        {
            resumeFrom = await ledger.PositionOf(lastEventId);
            if (resumeFrom is null)
            {
                gap = $"event id '{lastEventId}' is older than the feed's retention or unknown; the stream continues from now";
            }
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        // Subscribe to live changes first, then replay from the store, so nothing falls in between.
        using var subscription = feed.Connect(query.Matches);
        // A stream ends when the client leaves or the engine stops (clients reconnect with Last-Event-ID),
        // so an open stream never holds up a shutdown.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var aborted = ending.Token;
        await WriteAsync(response, "retry: 3000\n: connected\n\n", aborted);
        if (gap is not null) await WriteAsync(response, Frame("gap", null, JsonSerializer.Serialize(new { reason = gap }, ApiJson.Options)), aborted);
        var sentThrough = resumeFrom ?? long.MaxValue;
        if (resumeFrom is { } position)
        {
            while (!aborted.IsCancellationRequested)
            {
                var missed = await ledger.ChangesAfter(position, 500);
                if (missed.Length == 0) break;
                var frames = new StringBuilder();
                foreach (var change in missed.Where(c => c.Delivered && query.Matches(c.Play))) frames.Append(Frame(change));
                await WriteAsync(response, frames.ToString(), aborted);
                position = missed[^1].Position;
            }
            sentThrough = position;
        }

        var reader = subscription.Reader;
        while (!aborted.IsCancellationRequested)
        {
            bool more;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                timeout.CancelAfter(KeepAliveEvery);
                more = await reader.WaitToReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
            {
                await WriteAsync(response, ": keep-alive\n\n", aborted);
                continue;
            }
            catch (OperationCanceledException)
            {
                if (lifetime.ApplicationStopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
                    await WriteAsync(response, Frame("disconnect", null, JsonSerializer.Serialize(new { reason = "the engine is shutting down; reconnect with Last-Event-ID" }, ApiJson.Options)), context.RequestAborted);
                return;
            }
            catch (SlowConsumerException ex)
            {
                await WriteAsync(response, Frame("disconnect", null, JsonSerializer.Serialize(new { reason = ex.Message }, ApiJson.Options)), aborted);
                return;
            }
            if (!more) return;
            var frames = new StringBuilder();
            while (reader.TryRead(out var change))
            {
                // Already replayed from the store.
                if (resumeFrom is not null && change.Position <= sentThrough) continue;
                frames.Append(Frame(change));
            }
            if (frames.Length > 0) await WriteAsync(response, frames.ToString(), aborted);
        }
    }

    private static string Frame(PlayChange change) => Frame(change.EventType, change.EventId,
        change.Digest is { } digest ? JsonSerializer.Serialize(digest, ApiJson.Options) : JsonSerializer.Serialize(change.Play, ApiJson.Options));

    /// <summary><c>GET /v1/plays/{playId}</c>: one play with its lifecycle history.</summary>
    public static async Task<IResult> Get(string playId, IGrainFactory grains) =>
        await grains.GetGrain<IPlayLedgerGrain>(0).Get(playId) is { } play
            ? Results.Json(play, ApiJson.Options)
            : ApiJson.Error(StatusCodes.Status404NotFound, $"play '{playId}' is unknown");

    public sealed record ActionRequest(string? Actor, string? Outcome, string? Note, string? Until);

    /// <summary><c>POST /v1/plays/{playId}/acknowledge|snooze|resolve</c>: a person's action, kept in the play's history.</summary>
    public static async Task<IResult> Act(string playId, string action, HttpContext context, IGrainFactory grains,
        [Microsoft.Extensions.DependencyInjection.FromKeyedServices(SignalEngine.Grains.EngineSilo.Clock)] TimeProvider clock)
    {
        ActionRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync<ActionRequest>(ApiJson.Options, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiJson.Error(StatusCodes.Status400BadRequest, $"body is not valid JSON: {ex.Message}");
        }
        request ??= new ActionRequest(null, null, null, null);
        var now = clock.GetUtcNow();
        var errors = new List<string>();
        DateTimeOffset? until = null;
        if (request.Until is { } text)
        {
            if (EventValidator.TryParseRfc3339(text, out var parsed)) until = parsed;
            else errors.Add($"until: '{text}' is not an RFC 3339 date-time with an offset");
        }
        var playAction = new PlayAction(action, request.Actor ?? "", now, request.Outcome, request.Note, until);
        var parseFailed = errors.Count > 0;
        errors.AddRange(playAction.Validate(now).Where(e => !(parseFailed && e.StartsWith("until:", StringComparison.Ordinal))));
        if (errors.Count > 0) return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid action", errors);
        return await grains.GetGrain<IPlayLedgerGrain>(0).Act(playId, playAction) is { } play
            ? Results.Json(play, ApiJson.Options)
            : ApiJson.Error(StatusCodes.Status404NotFound, $"play '{playId}' is unknown");
    }

    private static string Frame(string eventType, string? id, string json) =>
        (id is null ? "" : $"id: {id}\n") + $"event: {eventType}\ndata: {json}\n\n";

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken cancellationToken)
    {
        try
        {
            await response.WriteAsync(text, cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The client went away; the loop ends on the aborted token.
        }
    }

    private static (PlayQuery Query, List<string> Errors) ParseQuery(IQueryCollection parameters, bool allowPaging)
    {
        var errors = new List<string>();
        var query = new PlayQuery();
        foreach (var (key, values) in parameters)
        {
            var value = values.ToString();
            switch (key)
            {
                case "workspaceId": query = query with { WorkspaceId = value }; break;
                case "pod": query = query with { Pod = value }; break;
                case "owner": query = query with { Owner = value }; break;
                case "lastEventId" when !allowPaging: break;
                case "ruleId": query = query with { RuleId = value }; break;
                case "kind":
                    if (PlayVocabulary.TryParseKind(value, out var kind)) query = query with { Kind = kind };
                    else errors.Add($"kind: '{value}' is not one of churn_risk, expansion, onboarding, adoption");
                    break;
                case "since" when allowPaging:
                    if (EventValidator.TryParseRfc3339(value, out var since)) query = query with { Since = since };
                    else errors.Add($"since: '{value}' is not an RFC 3339 date-time with an offset");
                    break;
                case "shadow" when allowPaging:
                    if (bool.TryParse(value, out var shadow)) query = query with { Shadow = shadow };
                    else errors.Add($"shadow: '{value}' is not true or false");
                    break;
                case "limit" when allowPaging:
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= PlayQuery.MaxLimit)
                        query = query with { Limit = limit };
                    else errors.Add($"limit: '{value}' is not a whole number from 1 to {PlayQuery.MaxLimit}");
                    break;
                default:
                    errors.Add($"{key}: unknown parameter");
                    break;
            }
        }
        return (query, errors);
    }
}
