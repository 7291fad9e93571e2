using Microsoft.Extensions.Time.Testing;
using SignalEngine.Core.Events;

namespace SignalEngine.Core.Tests.Events;

public class EventIdWindowTests
{
    private static readonly DateTimeOffset T0 = EventFactory.T0;

    [Fact]
    public void The_same_id_in_the_same_workspace_is_a_duplicate()
    {
        var window = new EventIdWindow(new DeduplicationOptions());
        Assert.True(window.TryAdd("ws_a", "e1", T0));
        Assert.False(window.TryAdd("ws_a", "e1", T0));
        Assert.False(window.TryAdd("ws_a", "e1", T0.AddHours(3)));
        Assert.True(window.Contains("ws_a", "e1"));
        Assert.Equal(1, window.Count);
    }

    [Fact]
    public void Different_ids_are_not_duplicates()
    {
        var window = new EventIdWindow(new DeduplicationOptions());
        Assert.True(window.TryAdd("ws_a", "e1", T0));
        Assert.True(window.TryAdd("ws_a", "e2", T0));
        Assert.True(window.TryAdd("ws_a", "E1", T0));
        Assert.Equal(3, window.Count);
    }

    [Fact]
    public void The_same_event_id_in_different_workspaces_is_not_a_duplicate()
    {
        var window = new EventIdWindow(new DeduplicationOptions());
        Assert.True(window.TryAdd("ws_a", "e1", T0));
        Assert.True(window.TryAdd("ws_b", "e1", T0));
        Assert.False(window.Contains("ws_c", "e1"));
        Assert.Equal(2, window.Count);
    }

    [Fact]
    public void Workspace_and_event_id_are_not_simply_concatenated()
    {
        var window = new EventIdWindow(new DeduplicationOptions());
        Assert.True(window.TryAdd("ws_ab", "c", T0));
        Assert.True(window.TryAdd("ws_a", "bc", T0));
        Assert.True(window.TryAdd("ws_abc", "", T0));
    }

    [Fact]
    public void Ids_longer_than_the_stack_buffer_are_told_apart_by_their_last_character()
    {
        var window = new EventIdWindow(new DeduplicationOptions());
        var workspace = "ws_" + new string('w', 300);
        var id = new string('e', 600);
        Assert.True(window.TryAdd(workspace, id + "1", T0));
        Assert.True(window.TryAdd(workspace, id + "2", T0));
        Assert.False(window.TryAdd(workspace, id + "1", T0));
        Assert.True(window.Contains(workspace, id + "2"));
        Assert.False(window.Contains(workspace + "x", id + "2"));
    }

    [Fact]
    public void An_id_is_remembered_for_the_whole_window_and_forgotten_after_it()
    {
        var window = new EventIdWindow(new DeduplicationOptions { Window = TimeSpan.FromHours(24) });
        Assert.True(window.TryAdd("ws_a", "e1", T0));

        Assert.False(window.TryAdd("ws_a", "e1", T0.AddHours(24)));
        Assert.True(window.TryAdd("ws_a", "e1", T0.AddHours(24).AddTicks(1)));
        Assert.False(window.TryAdd("ws_a", "e1", T0.AddHours(30)));
    }

    [Fact]
    public void Expiry_follows_a_fake_clock()
    {
        var clock = new FakeTimeProvider(T0);
        var window = new EventIdWindow(new DeduplicationOptions { Window = TimeSpan.FromMinutes(10) });
        Assert.True(window.TryAdd("ws_a", "e1", clock.GetUtcNow()));
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(window.TryAdd("ws_a", "e2", clock.GetUtcNow()));

        clock.Advance(TimeSpan.FromMinutes(6)); // e1 is 11 minutes old, e2 6
        Assert.True(window.TryAdd("ws_a", "e3", clock.GetUtcNow()));
        Assert.False(window.Contains("ws_a", "e1"));
        Assert.True(window.Contains("ws_a", "e2"));
        Assert.Equal(2, window.Count);
        Assert.False(window.TryAdd("ws_a", "e2", clock.GetUtcNow()));
        Assert.True(window.TryAdd("ws_a", "e1", clock.GetUtcNow()));
    }

    [Fact]
    public void The_count_cap_evicts_the_oldest_ids_first()
    {
        var window = new EventIdWindow(new DeduplicationOptions { MaxIdsPerPartition = 3 });
        Assert.True(window.TryAdd("ws_a", "e1", T0));
        Assert.True(window.TryAdd("ws_a", "e2", T0.AddSeconds(1)));
        Assert.True(window.TryAdd("ws_a", "e3", T0.AddSeconds(2)));
        Assert.True(window.TryAdd("ws_b", "e4", T0.AddSeconds(3)));

        Assert.Equal(3, window.Count);
        Assert.False(window.Contains("ws_a", "e1"));
        Assert.True(window.Contains("ws_a", "e2"));
        Assert.True(window.Contains("ws_a", "e3"));
        Assert.True(window.Contains("ws_b", "e4"));

        Assert.False(window.TryAdd("ws_a", "e2", T0.AddSeconds(4)));
        Assert.True(window.TryAdd("ws_a", "e1", T0.AddSeconds(5))); // evicts e2
        Assert.False(window.Contains("ws_a", "e2"));
        Assert.Equal(3, window.Count);
    }

    [Fact]
    public void The_count_cap_holds_under_many_adds()
    {
        var window = new EventIdWindow(new DeduplicationOptions { MaxIdsPerPartition = 100 });
        for (var i = 0; i < 1_000; i++) Assert.True(window.TryAdd("ws_a", $"e{i}", T0.AddMilliseconds(i)));
        Assert.Equal(100, window.Count);
        for (var i = 900; i < 1_000; i++) Assert.True(window.Contains("ws_a", $"e{i}"));
        Assert.False(window.Contains("ws_a", "e899"));
    }

    [Fact]
    public void Forget_lets_the_id_be_accepted_again()
    {
        var window = new EventIdWindow(new DeduplicationOptions());
        Assert.True(window.TryAdd("ws_a", "e1", T0));
        window.Forget("ws_a", "e1");
        Assert.False(window.Contains("ws_a", "e1"));
        Assert.Equal(0, window.Count);

        Assert.True(window.TryAdd("ws_a", "e1", T0.AddMinutes(1)));
        Assert.False(window.TryAdd("ws_a", "e1", T0.AddMinutes(2)));
    }

    [Fact]
    public void Forget_only_forgets_that_workspace_s_id()
    {
        var window = new EventIdWindow(new DeduplicationOptions());
        window.TryAdd("ws_a", "e1", T0);
        window.TryAdd("ws_b", "e1", T0);
        window.Forget("ws_a", "e1");
        Assert.True(window.Contains("ws_b", "e1"));
        Assert.False(window.TryAdd("ws_b", "e1", T0));
    }

    [Fact]
    public void A_re_added_id_is_remembered_from_its_new_receive_time_not_the_forgotten_one()
    {
        var window = new EventIdWindow(new DeduplicationOptions { Window = TimeSpan.FromHours(24) });
        window.TryAdd("ws_a", "e1", T0);
        window.Forget("ws_a", "e1");
        Assert.True(window.TryAdd("ws_a", "e1", T0.AddHours(12)));

        // The stale first entry expires here; the re-added one must survive until T0 + 36h.
        Assert.False(window.TryAdd("ws_a", "e1", T0.AddHours(25)));
        Assert.False(window.TryAdd("ws_a", "e1", T0.AddHours(36)));
        Assert.True(window.TryAdd("ws_a", "e1", T0.AddHours(36).AddTicks(1)));
    }

    [Fact]
    public void Forgotten_ids_do_not_count_towards_the_cap()
    {
        var window = new EventIdWindow(new DeduplicationOptions { MaxIdsPerPartition = 2 });
        window.TryAdd("ws_a", "e1", T0);
        window.Forget("ws_a", "e1");
        window.TryAdd("ws_a", "e2", T0.AddSeconds(1));
        window.TryAdd("ws_a", "e3", T0.AddSeconds(2));
        Assert.True(window.Contains("ws_a", "e2"));
        Assert.True(window.Contains("ws_a", "e3"));
        Assert.Equal(2, window.Count);
    }
}

public class WorkspacePartitionerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(1024)]
    public void The_partition_is_in_range(int partitions)
    {
        for (var i = 0; i < 2_000; i++)
        {
            var partition = WorkspacePartitioner.PartitionOf($"ws_{i}", partitions);
            Assert.InRange(partition, 0, partitions - 1);
        }
    }

    [Fact]
    public void The_partition_is_stable_for_the_same_workspace()
    {
        foreach (var id in new[] { "ws_acme", "ws_globex", "", "wörkspace-ü", new string('x', 500) })
            Assert.Equal(WorkspacePartitioner.PartitionOf(id, 16), WorkspacePartitioner.PartitionOf(new string(id.ToCharArray()), 16));
    }

    [Fact]
    public void The_partition_is_the_documented_hash_so_it_is_stable_across_processes()
    {
        foreach (var id in new[] { "ws_acme", "ws_globex", "wörkspace-ü" })
        {
            var expected = (int)(System.IO.Hashing.XxHash32.HashToUInt32(System.Text.Encoding.UTF8.GetBytes(id)) % 16u);
            Assert.Equal(expected, WorkspacePartitioner.PartitionOf(id, 16));
        }
    }

    [Fact]
    public void Workspaces_spread_over_all_partitions()
    {
        var counts = new int[8];
        for (var i = 0; i < 4_000; i++) counts[WorkspacePartitioner.PartitionOf($"ws_{i}", 8)]++;
        Assert.All(counts, c => Assert.InRange(c, 300, 700));
    }
}

/// <summary>
/// The window's hash table (open addressing, deletion by backward shift) checked against a plain model of the
/// same rules over many random adds, forgets and count evictions: every answer and every count must agree.
/// </summary>
public class EventIdWindowModelTests
{
    private sealed class Model(int max)
    {
        private readonly Dictionary<string, long> _seen = [];
        private readonly Queue<(string Id, long At)> _order = new();

        public int Count => _seen.Count;

        public bool TryAdd(string id, long at)
        {
            if (!_seen.TryAdd(id, at)) return false;
            _order.Enqueue((id, at));
            while (_order.Count > max)
            {
                var (oldest, stamp) = _order.Dequeue();
                if (_seen.TryGetValue(oldest, out var current) && current == stamp) _seen.Remove(oldest);
            }
            return true;
        }

        public void Forget(string id) => _seen.Remove(id);

        public bool Contains(string id) => _seen.ContainsKey(id);
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 5_000)]
    [InlineData(3, 40_000)]
    public void Random_adds_forgets_and_evictions_agree_with_a_plain_model(int seed, int max)
    {
        var random = new Random(seed);
        var window = new EventIdWindow(new DeduplicationOptions { MaxIdsPerPartition = max, Window = TimeSpan.FromDays(3650) });
        var model = new Model(max);
        var t = EventFactory.T0;
        var distinct = max * 3;
        for (var step = 0; step < 200_000; step++)
        {
            var id = $"e{random.Next(distinct)}";
            t = t.AddTicks(1);
            switch (random.Next(10))
            {
                case < 7:
                    Assert.Equal(model.TryAdd(id, t.UtcTicks), window.TryAdd("ws_a", id, t));
                    break;
                case < 8:
                    model.Forget(id);
                    window.Forget("ws_a", id);
                    break;
                default:
                    Assert.Equal(model.Contains(id), window.Contains("ws_a", id));
                    break;
            }
            if (step % 1000 == 0) Assert.Equal(model.Count, window.Count);
        }
        Assert.Equal(model.Count, window.Count);
        for (var i = 0; i < distinct; i++) Assert.Equal(model.Contains($"e{i}"), window.Contains("ws_a", $"e{i}"));
    }
}
