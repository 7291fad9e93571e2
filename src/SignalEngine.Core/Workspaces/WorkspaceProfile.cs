using SignalEngine.Core.Events;

namespace SignalEngine.Core.Workspaces;

/// <summary>The CRM's view of a customer workspace: who owns it, what it bought, who pilots which module.</summary>
public sealed record WorkspaceProfile
{
    public required string Name { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public string? Plan { get; init; }
    public int? SeatsPurchased { get; init; }
    public decimal? Mrr { get; init; }

    /// <summary>1 high-touch, 2 mixed, 3 digital.</summary>
    public required int Tier { get; init; }
    public string? Segment { get; init; }
    public string? Pod { get; init; }
    public string? Csm { get; init; }
    public string? AccountManager { get; init; }

    /// <summary>Pilot users per module name.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Pilots { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>();

    public const int MaxTextLength = 200;
    public const int MaxPilotModules = 100;
    public const int MaxPilotsPerModule = 10_000;

    /// <summary>Every problem of the profile, each naming its field; empty when valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Name)) errors.Add("name: required");
        else if (Name.Length > MaxTextLength) errors.Add($"name: longer than {MaxTextLength} characters");
        if (Tier is < 1 or > 3) errors.Add($"tier: {Tier} is not 1 (high-touch), 2 (mixed) or 3 (digital)");
        if (SeatsPurchased is < 0) errors.Add("seatsPurchased: must be 0 or more");
        if (Mrr is < 0) errors.Add("mrr: must be 0 or more");
        foreach (var (field, value) in new[] { ("plan", Plan), ("segment", Segment), ("pod", Pod), ("csm", Csm), ("accountManager", AccountManager) })
            if (value is { Length: > MaxTextLength }) errors.Add($"{field}: longer than {MaxTextLength} characters");
        if (Pilots.Count > MaxPilotModules) errors.Add($"pilots: {Pilots.Count} modules, at most {MaxPilotModules}");
        foreach (var (module, users) in Pilots)
        {
            if (EventValidator.Identifier($"pilots (module name '{module}')", module, 128, required: true) is { } moduleError) errors.Add(moduleError);
            if (users.Count > MaxPilotsPerModule) errors.Add($"pilots.{module}: {users.Count} users, at most {MaxPilotsPerModule}");
            for (var i = 0; i < users.Count; i++)
                if (string.IsNullOrEmpty(users[i])) errors.Add($"pilots.{module}[{i}]: empty user id");
        }
        return errors;
    }
}
