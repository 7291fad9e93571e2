using Microsoft.Extensions.Logging.Abstractions;
using SignalEngine.Core.Events;
using SignalEngine.Grains;

namespace SignalEngine.Storage.Postgres.Tests;

/// <summary>The stream provider's receiver: delivers in position order, resumes from the recorded cursor, trims what it delivered.</summary>
[Collection(PostgresCollection.Name)]
public sealed class EventLogReceiverTests(PostgresFixture fixture)
{
    private static UsageEvent Event(string ws, string id) => new(id, ws, "u1", "core.x", DateTimeOffset.UtcNow);

    private static async Task<long> Rows(Npgsql.NpgsqlDataSource dataSource)
    {
        await using var count = dataSource.CreateCommand("select count(*) from se_event_log where partition = 4");
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Rows_are_merged_per_workspace_recorded_when_delivered_resumed_after_and_trimmed_once_past_the_retention()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        // Retention zero and no waiting between trims: what is delivered can go at once.
        var log = new PostgresEventLog(dataSource, new EventLogRetentionOptions { Retention = TimeSpan.Zero, TrimInterval = TimeSpan.Zero }, NullLogger<PostgresEventLog>.Instance);
        await log.AppendAsync(4, [("a", [Event("a", "1")]), ("b", [Event("b", "2")])]);
        await log.AppendAsync(4, [("a", [Event("a", "3")])]);
        var options = new EventLogStreamOptions { CursorWriteInterval = TimeSpan.Zero };

        var receiver = new EventLogReceiver(4, log, options, NullLogger<EventLogReceiver>.Instance);
        await receiver.Initialize(TimeSpan.FromSeconds(5));
        var first = (await receiver.GetQueueMessagesAsync(100)).Cast<EventLogBatchContainer>().ToList();
        // Workspace a's two positions arrive as one batch that still knows where each position starts.
        Assert.Equal(["a", "b"], first.Select(m => m.StreamId.GetKeyAsString()));
        Assert.Equal(["1", "3"], first[0].Batch.Events.Select(e => e.EventId));
        Assert.Equal(2, first[0].Batch.LogSeq);
        Assert.Equal(["3"], first[0].Batch.EventsAfter(1).Select(e => e.EventId));
        Assert.Equal(3, await Rows(dataSource)); // read, not yet delivered: kept

        // Delivering a's batch alone proves nothing about position 1 (b's row is in it): nothing recorded.
        await receiver.MessagesDeliveredAsync(first.Take(1).ToList<Orleans.Streams.IBatchContainer>());
        Assert.Equal(0, await log.DeliveredPositionAsync(4));
        Assert.Equal(3, await Rows(dataSource));

        await receiver.MessagesDeliveredAsync(first.ToList<Orleans.Streams.IBatchContainer>());
        Assert.Equal(2, await log.DeliveredPositionAsync(4));
        Assert.Equal(0, await Rows(dataSource));

        // A receiver taking over the partition (another silo) starts after the recorded position.
        await log.AppendAsync(4, [("c", [Event("c", "4")])]);
        var successor = new EventLogReceiver(4, log, options, NullLogger<EventLogReceiver>.Instance);
        await successor.Initialize(TimeSpan.FromSeconds(5));
        var resumed = await successor.GetQueueMessagesAsync(100);
        Assert.Equal([3L], resumed.Select(m => m.SequenceToken.SequenceNumber));
    }
}
