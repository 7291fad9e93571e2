namespace SignalEngine.LoadTests;

/// <summary>
/// The history <c>--populate DAYS</c> sends before the run: for each day, oldest first, one event from every
/// user of every workspace (mostly core features, some module use). Senders take batches from it until it is
/// exhausted; a batch never spans two days, so each carries one timestamp.
/// </summary>
internal sealed class PopulationPlan(Workload workload, int days)
{
    private readonly Lock _gate = new();
    private int _daysAgo = days - 1;
    private int _workspace;
    private int _user;

    public long TotalEvents { get; } = workload.TotalUsers * days;

    public bool TryFill(EventBatch batch)
    {
        lock (_gate)
        {
            if (_daysAgo < 0) return false;
            // A minute back from now, so today's events are never in the future.
            batch.Timestamp = DateTime.UtcNow.AddDays(-_daysAgo).AddMinutes(-1);
            batch.CrossingSlots.Clear();
            var count = 0;
            while (count < batch.Capacity && _daysAgo >= 0)
            {
                batch.Workspace[count] = _workspace;
                batch.User[count] = _user;
                batch.Name[count] = NameFor(_workspace, _user, _daysAgo);
                count++;
                if (++_user < workload.UserCounts[_workspace]) continue;
                _user = 0;
                if (++_workspace < workload.Count) continue;
                _workspace = 0;
                _daysAgo--;
                break; // the next day starts a new batch
            }
            batch.Count = count;
            return count > 0;
        }
    }

    private EventName NameFor(int workspace, int user, int daysAgo)
    {
        var mix = workspace * 31 + user * 7 + daysAgo;
        return mix % 8 == 0
            ? workload.ModuleNames[mix / 8 % workload.ModuleNames.Length]
            : workload.CoreNames[mix % workload.CoreNames.Length];
    }
}
