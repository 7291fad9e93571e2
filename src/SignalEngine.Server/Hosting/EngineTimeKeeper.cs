using SignalEngine.Grains;
using SignalEngine.Server.Ingestion;

namespace SignalEngine.Server.Hosting;

/// <summary>
/// Per silo: pushes the newest event time this silo accepted to the engine clock and advances the time
/// wheel, every few seconds. This is what makes silence and deadline plays fire for workspaces that send
/// nothing — including deactivated ones — and, during a replay, as soon as event time passes their due time.
/// </summary>
public sealed class EngineTimeKeeper(IGrainFactory grains, IngestPipeline pipeline, EngineClockOptions options, [FromKeyedServices(EngineSilo.Clock)] TimeProvider clock, ILogger<EngineTimeKeeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var engineClock = grains.GetGrain<IEngineClockGrain>(0);
        var wheel = grains.GetGrain<ITimeWheelGrain>(0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Digests follow the processing clock: they are for people, at a time of their day.
                await grains.GetGrain<IPlayLedgerGrain>(0).SendDueDigests(clock.GetUtcNow());
                if (await engineClock.Advance(pipeline.NewestEventTime) is { } engineTime)
                {
                    var woken = await wheel.Advance(engineTime);
                    if (woken > 0) logger.LogInformation("Engine time {EngineTime:O}: woke {Count} workspaces for time-based rules", engineTime, woken);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Could not advance the engine clock; retrying");
            }
            try
            {
                await Task.Delay(options.TickInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
