namespace SignalEngine.LoadTests.Tests;

public sealed class PopulationPlanTests
{
    [Fact]
    public void Every_user_of_every_workspace_is_sent_once_a_day_oldest_day_first_and_no_batch_spans_two_days()
    {
        var workload = new Workload("run1", workspaces: 7, meanUsers: 5, seed: 3, exactUsers: true);
        var plan = new PopulationPlan(workload, days: 3);
        var batch = new EventBatch(capacity: 8);
        var sent = new List<(DateTime Day, int Workspace, int User)>();
        var batchDays = new List<DateTime>();

        while (plan.TryFill(batch))
        {
            var day = batch.Timestamp!.Value.Date;
            batchDays.Add(day);
            for (var i = 0; i < batch.Count; i++) sent.Add((day, batch.Workspace[i], batch.User[i]));
        }

        Assert.All(workload.UserCounts, users => Assert.Equal(5, users));
        Assert.Equal(plan.TotalEvents, sent.Count);
        Assert.Equal(3 * 7 * 5, sent.Count);
        Assert.Equal(sent.Count, sent.Distinct().Count());
        Assert.Equal(3, sent.Select(s => s.Day).Distinct().Count());
        Assert.Equal(batchDays.Order(), batchDays); // oldest day first
        Assert.All(batchDays, day => Assert.True(day <= DateTime.UtcNow.Date));
        Assert.False(plan.TryFill(batch));
    }
}
