using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.Net.Http.Headers;
using SignalEngine.Core.Events;
using SignalEngine.Server.Hosting;
using SignalEngine.Server.Ingestion;

namespace SignalEngine.Server.Api;

/// <summary><c>POST /v1/events</c>: validate each event alone, hand the valid ones on, answer what became of each.</summary>
public static class EventsEndpoint
{
    public sealed record RejectedEvent(int Index, string? EventId, string Error);

    public sealed record IngestResponse(int Accepted, int Duplicates, IReadOnlyList<RejectedEvent> Rejected);

    public static async Task<IResult> Post(HttpContext context, EngineSettings settings, EventValidator validator, IngestPipeline pipeline)
    {
        var mediaType = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var parsed) ? parsed.MediaType.Value?.ToLowerInvariant() : null;
        var isJson = mediaType is EventBatchReader.JsonContentType;
        var isMessagePack = mediaType is EventBatchReader.MessagePackContentType or "application/msgpack" or "application/vnd.msgpack";
        if (!isJson && !isMessagePack)
            return ApiJson.Error(StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be {EventBatchReader.JsonContentType} or {EventBatchReader.MessagePackContentType}");

        List<EventDraft> drafts;
        // The drafts own everything they read, so the body goes back to the pool as soon as it is parsed.
        using (var body = await ReadBodyAsync(context.Request, settings.MaxBodyBytes, context.RequestAborted))
        {
            if (body is null) return ApiJson.Error(StatusCodes.Status413PayloadTooLarge, $"body larger than {settings.MaxBodyBytes} bytes; send smaller batches");
            try
            {
                drafts = isJson ? EventBatchReader.ReadJson(body.WrittenMemory) : EventBatchReader.ReadMessagePack(body.WrittenMemory);
            }
            catch (MalformedBatchException ex)
            {
                return ApiJson.Error(StatusCodes.Status400BadRequest, ex.Message);
            }
        }
        if (drafts.Count > settings.MaxEventsPerRequest)
            return ApiJson.Error(StatusCodes.Status413PayloadTooLarge, $"{drafts.Count} events in one request; at most {settings.MaxEventsPerRequest}");

        var valid = new List<UsageEvent>(drafts.Count);
        var rejected = new List<RejectedEvent>();
        for (var i = 0; i < drafts.Count; i++)
        {
            var outcome = validator.Validate(drafts[i]);
            if (outcome.Event is { } e) valid.Add(e);
            else rejected.Add(new RejectedEvent(i, drafts[i].EventId, outcome.Error!));
        }

        var result = await pipeline.SubmitAsync(valid);
        switch (result.Status)
        {
            case SubmitStatus.Overloaded:
                context.Response.Headers.RetryAfter = "1";
                return ApiJson.Error(StatusCodes.Status429TooManyRequests, $"overloaded: {result.Error}; retry the whole batch after 1 second (it is idempotent)");
            case SubmitStatus.Unavailable:
                context.Response.Headers.RetryAfter = "1";
                return ApiJson.Error(StatusCodes.Status503ServiceUnavailable, $"not all events could be taken: {result.Error}; retry the whole batch (events already taken count as duplicates)");
        }
        var duplicates = result.Duplicate.Count(d => d);
        return Results.Json(new IngestResponse(valid.Count - duplicates, duplicates, rejected), ApiJson.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>
    /// Reads the whole body into a pooled buffer (dispose it to return it), or returns null as soon as it exceeds
    /// <paramref name="limit"/>. A batch body is tens of kilobytes: a fresh (and, once grown, large-object) array
    /// per request was most of the engine's large-object allocation, and large objects are collected with gen2.
    /// </summary>
    private static async Task<ArrayPoolBufferWriter<byte>?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) return null;
        // One byte more than announced, so the read that finds the end needs no room of its own.
        var buffer = new ArrayPoolBufferWriter<byte>((int)Math.Clamp((request.ContentLength ?? 16 * 1024) + 1, 1, limit + 1));
        try
        {
            while (true)
            {
                var read = await request.Body.ReadAsync(buffer.GetMemory(1), cancellationToken);
                if (read == 0) return buffer;
                buffer.Advance(read);
                if (buffer.WrittenCount > limit)
                {
                    buffer.Dispose();
                    return null;
                }
            }
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
    }
}
