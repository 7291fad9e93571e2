using System.Globalization;
using System.Text;
using System.Text.Json;
using SignalEngine.Core.Events;
using SignalEngine.Core.Plays;
using SignalEngine.Grains;
using SignalEngine.Server.Feed;

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
    /// </summary>
    public static async Task Stream(HttpContext context, LivePlayFeed feed)
    {
        var (query, errors) = ParseQuery(context.Request.Query, allowPaging: false);
        if (errors.Count > 0)
        {
            await ApiJson.Error(StatusCodes.Status400BadRequest, "invalid query", errors).ExecuteAsync(context);
            return;
        }
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";

        using var subscription = feed.Connect(query.Matches);
        var aborted = context.RequestAborted;
        await WriteAsync(response, "retry: 3000\n: connected\n\n", aborted);
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
                var play = change.Play;
                var json = JsonSerializer.Serialize(play, ApiJson.Options);
                frames.Append(play.Status switch
                {
                    PlayStatus.Resolved => Frame("play_resolved", play.PlayId + ".resolved", json),
                    PlayStatus.Retracted => Frame("play_retracted", play.PlayId + ".retracted", json),
                    _ => Frame("play", play.PlayId, json),
                });
            }
            await WriteAsync(response, frames.ToString(), aborted);
        }
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
