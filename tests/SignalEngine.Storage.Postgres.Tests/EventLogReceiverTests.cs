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
    public async Task Delivered_rows_are_recorded_resumed_after_and_trimmed_once_past_the_retention()
    {
        await using var dataSource = await fixture.NewDatabaseAsync();
        var log = new PostgresEventLog(dataSource);
        await log.AppendAsync(4, [("a", [Event("a", "1")]), ("b", [Event("b", "2")])]);
        await log.AppendAsync(4, [("a", [Event("a", "3")])]);
        // Retention zero and no waiting between cursor writes or trims: what is delivered can go at once.
        var options = new EventLogStreamOptions { Retention = TimeSpan.Zero, CursorWriteInterval = TimeSpan.Zero, TrimInterval = TimeSpan.Zero };

        var receiver = new EventLogReceiver(4, dataSource, options, NullLogger<EventLogReceiver>.Instance);
        await receiver.Initialize(TimeSpan.FromSeconds(5));
        var first = await receiver.GetQueueMessagesAsync(100);
        Assert.Equal([(1L, "a"), (1L, "b"), (2L, "a")], first.Select(m => (m.SequenceToken.SequenceNumber, ((EventLogBatchContainer)m).StreamId.GetKeyAsString())));
        Assert.Equal(3, await Rows(dataSource)); // read, not yet delivered: kept

        await receiver.MessagesDeliveredAsync(first.Take(2).ToList()); // position 1 delivered
        await receiver.GetQueueMessagesAsync(100);                     // the next poll trims
        Assert.Equal(1, await Rows(dataSource));

        // A receiver taking over the partition (another silo) starts after the recorded position.
        await log.AppendAsync(4, [("c", [Event("c", "4")])]);
        var successor = new EventLogReceiver(4, dataSource, options, NullLogger<EventLogReceiver>.Instance);
        await successor.Initialize(TimeSpan.FromSeconds(5));
        var resumed = await successor.GetQueueMessagesAsync(100);
        Assert.Equal([2L, 3L], resumed.Select(m => m.SequenceToken.SequenceNumber));
    }
}
