using SignalEngine.Core.Events;
using SignalEngine.Core.Rules;
using SignalEngine.Core.Workspaces;

namespace SignalEngine.Core.Tests.Workspaces;

public sealed class CompressedSnapshotTests
{
    [Fact]
    public void A_workspace_snapshot_survives_compression_and_shrinks()
    {
        var now = DateTimeOffset.UtcNow;
        var workspace = new Workspace("ws-1", RuleCatalogue.Default, RuleCatalogue.DefaultHealth);
        for (var day = 30; day >= 0; day--)
            workspace.Apply(Enumerable.Range(0, 20).Select(u => new UsageEvent($"e{day}-{u}", "ws-1", $"user-{u}", "core.report_built", now.AddDays(-day))).ToArray(), now);
        var snapshot = workspace.ToSnapshot();

        var compressed = CompressedSnapshot.Compress(snapshot);

        Assert.Equal(snapshot, CompressedSnapshot.Decompress(compressed));
        Assert.True(compressed.Length * 2 < snapshot.Length, $"{compressed.Length} bytes compressed from {snapshot.Length}");
    }

    [Fact]
    public void Damaged_bytes_are_reported_not_read_as_a_workspace()
    {
        var compressed = CompressedSnapshot.Compress(new byte[1000]);

        Assert.Throws<InvalidDataException>(() => CompressedSnapshot.Decompress(compressed[..2]));
        Assert.Throws<InvalidDataException>(() => CompressedSnapshot.Decompress(compressed[..^3]));
        var longer = (byte[])compressed.Clone();
        longer[0] = 0xFF; // declares more bytes than the stream holds
        Assert.Throws<InvalidDataException>(() => CompressedSnapshot.Decompress(longer));
    }
}
