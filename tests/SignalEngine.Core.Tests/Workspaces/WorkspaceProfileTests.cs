using SignalEngine.Core.Workspaces;

namespace SignalEngine.Core.Tests.Workspaces;

public class WorkspaceProfileTests
{
    [Fact]
    public void A_complete_profile_is_valid()
    {
        var profile = WorkspaceFactory.Profile(seats: 10, pilots: new Dictionary<string, IReadOnlyList<string>> { ["reports"] = ["a", "b"] });
        Assert.Empty(profile.Validate());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(-1)]
    public void A_tier_outside_1_to_3_is_named(int tier)
    {
        var errors = WorkspaceFactory.Profile(tier: tier).Validate();
        Assert.StartsWith("tier:", Assert.Single(errors));
    }

    [Fact]
    public void Negative_seats_are_named_and_zero_seats_allowed()
    {
        Assert.StartsWith("seatsPurchased:", Assert.Single(WorkspaceFactory.Profile(seats: -1).Validate()));
        Assert.Empty(WorkspaceFactory.Profile(seats: 0).Validate());
    }

    [Fact]
    public void An_empty_pilot_user_is_named_with_module_and_position()
    {
        var profile = WorkspaceFactory.Profile(pilots: new Dictionary<string, IReadOnlyList<string>> { ["reports"] = ["a", "", "c"] });
        Assert.Equal("pilots.reports[1]: empty user id", Assert.Single(profile.Validate()));
    }

    [Fact]
    public void An_invalid_module_name_is_named()
    {
        var profile = WorkspaceFactory.Profile(pilots: new Dictionary<string, IReadOnlyList<string>> { ["bad module"] = ["a"] });
        Assert.StartsWith("pilots", Assert.Single(profile.Validate()));
    }

    [Fact]
    public void Missing_name_negative_mrr_and_long_texts_are_named()
    {
        var profile = WorkspaceFactory.Profile() with { Name = " ", Mrr = -1, Csm = new string('c', 201), Pod = new string('p', 200) };
        var errors = profile.Validate();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("name:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("mrr:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("csm:", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_not_just_the_first()
    {
        var profile = WorkspaceFactory.Profile(seats: -5, tier: 4, pilots: new Dictionary<string, IReadOnlyList<string>> { ["reports"] = [""] });
        var errors = profile.Validate();
        Assert.Equal(3, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("tier:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("seatsPurchased:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("pilots.reports[0]:", StringComparison.Ordinal));
    }
}
