using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SignalEngine.Grains;
using SignalEngine.Server.Api;

namespace SignalEngine.Server.Delivery;

/// <summary>
/// Sends queued webhook deliveries, on every silo: claims due deliveries with a lease, posts each play
/// change signed the Standard Webhooks way, and records the outcome — delivered on a 2xx within the
/// timeout, otherwise retried on the schedule (with jitter) until it becomes a dead letter. An endpoint
/// that has only failed for <see cref="WebhookOptions.DisableAfter"/> is disabled with the reason.
/// </summary>
public sealed class WebhookDispatcher(
    IWebhookStore store,
    WebhookOptions options,
    IHttpClientFactory httpClients,
    [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string HttpClientName = "webhooks";
    private const int ClaimBatch = 32;
    private readonly Random _jitter = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            WebhookDelivery[] due = [];
            try
            {
                due = await store.ClaimDueAsync(clock.GetUtcNow(), ClaimBatch, options.Timeout * 3);
                await Task.WhenAll(due.Select(d => DeliverAsync(d, stoppingToken)));
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Webhook dispatch failed; retrying");
            }
            if (due.Length == ClaimBatch) continue;
            try
            {
                // Real time: polling must go on even when the engine runs on a test clock.
                await Task.Delay(options.PollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    private async Task DeliverAsync(WebhookDelivery delivery, CancellationToken stoppingToken)
    {
        var subscription = await store.GetAsync(delivery.SubscriptionId);
        if (subscription is null) return;
        var now = clock.GetUtcNow();
        var body = delivery.Change.Digest is { } digest
            ? JsonSerializer.Serialize(new { type = delivery.Change.EventType, position = delivery.Change.Position, digest }, ApiJson.Options)
            : JsonSerializer.Serialize(new { type = delivery.Change.EventType, position = delivery.Change.Position, play = delivery.Change.Play }, ApiJson.Options);
        var timestamp = now.ToUnixTimeSeconds();
        var messageId = delivery.Change.EventId;
        string? error;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", messageId);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", WebhookSignature.Sign(subscription.SigningSecrets(now), messageId, timestamp, body));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(options.Timeout);
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            error = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            error = $"no response within {options.Timeout.TotalSeconds:0} s";
        }
        catch (HttpRequestException ex)
        {
            error = ex.Message;
        }

        var attempts = delivery.Attempts + 1;
        if (error is null)
        {
            await store.CompleteAsync(delivery.Id, DeliveryStatus.Delivered, attempts, now, null);
            await store.UpdateAsync(subscription.Id, s => s with { FailingSince = null, LastSuccessAt = now, LastError = null });
            logger.LogDebug("Delivered {MessageId} to {Subscription} in {Elapsed} ms", messageId, subscription.Id, stopwatch.ElapsedMilliseconds);
            return;
        }

        var delay = options.DelayAfter(attempts, _jitter);
        await store.CompleteAsync(delivery.Id, delay is null ? DeliveryStatus.Dead : DeliveryStatus.Pending, attempts, now + (delay ?? TimeSpan.Zero), error);
        await store.UpdateAsync(subscription.Id, s =>
        {
            var failingSince = s.FailingSince ?? now;
            var disabled = s.DisabledReason ?? (now - failingSince >= options.DisableAfter
                ? $"disabled at {now:O}: every delivery failed since {failingSince:O} (last error: {error})"
                : null);
            return s with { FailingSince = failingSince, LastFailureAt = now, LastError = error, DisabledReason = disabled };
        });
        logger.LogInformation("Delivery of {MessageId} to {Subscription} failed (attempt {Attempts}): {Error}", messageId, subscription.Id, attempts, error);
    }
}
