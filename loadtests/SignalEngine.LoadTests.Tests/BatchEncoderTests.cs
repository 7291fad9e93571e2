using SignalEngine.Core.Events;
using SignalEngine.Server.Ingestion;

namespace SignalEngine.LoadTests.Tests;

public sealed class BatchEncoderTests
{
    [Theory]
    [InlineData(BodyFormat.MessagePack)]
    [InlineData(BodyFormat.Json)]
    public void Engine_reads_and_accepts_every_encoded_event(BodyFormat format)
    {
        var workload = new Workload("t0", workspaces: 30, meanUsers: 8, seed: 3);
        var random = new Random(5);
        var batch = new EventBatch(64) { Count = 64, FirstSequence = 1000 };
        for (var i = 0; i < batch.Count; i++)
        {
            batch.Workspace[i] = workload.PickWorkspace(random);
            batch.User[i] = workload.PickUser(random, batch.Workspace[i]);
            batch.Name[i] = i == 7 ? Workload.LimitReached : workload.PickName(random);
        }
        var encoder = BatchEncoder.For(format, workload, sender: 2);

        encoder.Encode(batch);
        encoder.Encode(batch); // a reused buffer must not keep the previous body

        var body = batch.Body.WrittenMemory;
        var drafts = format == BodyFormat.Json ? EventBatchReader.ReadJson(body) : EventBatchReader.ReadMessagePack(body);
        var validator = new EventValidator(new EventLimits(), TimeProvider.System);
        var events = drafts.Select(d => validator.Validate(d)).ToList();
        Assert.All(events, e => Assert.Null(e.Error));
        Assert.Equal(batch.Count, events.Select(e => e.Event!.EventId).Distinct().Count());
        Assert.Equal("t0-2-1000", events[0].Event!.EventId);
        for (var i = 0; i < batch.Count; i++)
        {
            var e = events[i].Event!;
            Assert.Equal(workload.WorkspaceIds[batch.Workspace[i]], e.WorkspaceId);
            Assert.Equal(Workload.UserId(batch.User[i]), e.UserId);
            Assert.Equal(batch.Name[i].Text, e.Name);
            Assert.InRange(e.Timestamp, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow);
        }
        Assert.Equal("api_calls", events[7].Event!.Properties!["limit"].Text);
    }

    [Theory]
    [InlineData(BodyFormat.MessagePack)]
    [InlineData(BodyFormat.Json)]
    public void A_history_batch_carries_its_own_day_on_every_event(BodyFormat format)
    {
        var workload = new Workload("t0", workspaces: 3, meanUsers: 4, seed: 3);
        var day = new DateTime(2026, 10, 1, 12, 30, 0, DateTimeKind.Utc);
        var batch = new EventBatch(4) { Count = 4, FirstSequence = 1, Timestamp = day };
        for (var i = 0; i < batch.Count; i++) batch.Name[i] = Workload.LimitReached;
        var encoder = BatchEncoder.For(format, workload, sender: 0);

        encoder.Encode(batch);

        var body = batch.Body.WrittenMemory;
        var drafts = format == BodyFormat.Json ? EventBatchReader.ReadJson(body) : EventBatchReader.ReadMessagePack(body);
        var validator = new EventValidator(new EventLimits(), TimeProvider.System);
        Assert.All(drafts, d => Assert.Equal(new DateTimeOffset(day), validator.Validate(d).Event!.Timestamp));
    }

    [Fact]
    public void Ack_body_yields_counts_and_rejected_indexes()
    {
        var rejected = new List<int>();
        var json = """{"accepted":3,"duplicates":1,"rejected":[{"index":4,"eventId":"x","error":"name: required"},{"index":0,"eventId":null,"error":"e2"}]}"""u8;

        Assert.True(EventSender.TryParseAck(json, rejected, out var accepted, out var duplicates, out var firstError));

        Assert.Equal((3, 1, "name: required"), (accepted, duplicates, firstError));
        Assert.Equal([4, 0], rejected);
        Assert.False(EventSender.TryParseAck("""{"error":"overloaded"}"""u8, rejected, out _, out _, out _));
    }

    [Fact]
    public void Workload_is_fixed_by_the_seed_and_keeps_the_requested_mean()
    {
        var a = new Workload("a", 5000, meanUsers: 40, seed: 9);
        var b = new Workload("b", 5000, meanUsers: 40, seed: 9);

        Assert.Equal(a.UserCounts, b.UserCounts);
        Assert.Equal(a.CrossingOrder, b.CrossingOrder);
        Assert.InRange(a.UserCounts.Average(), 30, 50);
        Assert.True(a.UserCounts.Max() > 5 * a.UserCounts.Order().ElementAt(2500), "sizes should be skewed");
        Assert.Equal(5000, a.CrossingOrder.Distinct().Count());
    }
}
