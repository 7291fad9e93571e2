using System.Text;

namespace SignalEngine.LoadTests;

/// <summary>One event name the generator can emit, pre-encoded, with at most one constant property.</summary>
public sealed class EventName(string name, string? propertyKey = null, string? propertyValue = null)
{
    public string Text { get; } = name;
    public byte[] Utf8 { get; } = Encoding.UTF8.GetBytes(name);
    public byte[]? PropertyKey { get; } = propertyKey is null ? null : Encoding.UTF8.GetBytes(propertyKey);
    public byte[]? PropertyValue { get; } = propertyValue is null ? null : Encoding.UTF8.GetBytes(propertyValue);
}

/// <summary>
/// The synthetic customer base, fixed by the seed: workspace sizes are log-normal around the requested
/// mean (most workspaces small, a few large), activity grows with size, and within a workspace a few
/// power users produce most events. Everything the sending path needs is pre-encoded as UTF-8.
/// </summary>
public sealed class Workload
{
    /// <summary>Injected only by the play-latency probe, never by the random mix, so each workspace crosses at most once.</summary>
    public static readonly EventName LimitReached = new("limit.reached", "limit", "api_calls");

    public static readonly string[] Modules = ["reports", "automations", "forecasting", "integrations", "billing", "sso", "audit", "ai_assist"];
    private static readonly string[] ModuleActions = ["opened", "created", "ran", "shared"];

    private static readonly string[] CoreFeatures =
    [
        "dashboard_viewed", "project_created", "task_created", "task_completed", "comment_added", "file_uploaded",
        "search_performed", "view_filtered", "report_exported", "member_invited", "board_viewed", "item_updated",
        "notification_opened", "template_used", "tag_added", "calendar_viewed", "timeline_viewed", "doc_edited",
        "form_submitted", "import_completed",
    ];

    private readonly double[] _activityCdf;

    public Workload(string runId, int workspaces, double meanUsers, int seed, bool exactUsers = false)
    {
        RunId = runId;
        var random = new Random(seed);
        WorkspaceIds = new string[workspaces];
        WorkspaceIdUtf8 = new byte[workspaces][];
        UserCounts = new int[workspaces];
        _activityCdf = new double[workspaces];

        // Log-normal with sigma 1: mu is chosen so that the mean is the requested one.
        const double sigma = 1.0;
        var mu = Math.Log(meanUsers) - sigma * sigma / 2;
        var cap = (int)Math.Min(100_000, Math.Max(10, meanUsers * 50));
        var total = 0.0;
        for (var i = 0; i < workspaces; i++)
        {
            WorkspaceIds[i] = $"lt-{runId}-w{i:D6}";
            WorkspaceIdUtf8[i] = Encoding.UTF8.GetBytes(WorkspaceIds[i]);
            // Drawn even with exact sizes, so the random sequence (and so the activity mix) stays the same.
            var drawn = (int)Math.Clamp(Math.Round(Math.Exp(mu + sigma * Gaussian(random))), 1, cap);
            UserCounts[i] = exactUsers ? (int)Math.Round(meanUsers) : drawn;
            // Bigger workspaces send more, with noise so size alone does not decide it.
            total += UserCounts[i] * Math.Exp(0.5 * Gaussian(random));
            _activityCdf[i] = total;
        }
        for (var i = 0; i < workspaces; i++) _activityCdf[i] /= total;
        _activityCdf[^1] = 1.0;

        IndexOf = new Dictionary<string, int>(workspaces, StringComparer.Ordinal);
        for (var i = 0; i < workspaces; i++) IndexOf[WorkspaceIds[i]] = i;

        CrossingOrder = Enumerable.Range(0, workspaces).ToArray();
        random.Shuffle(CrossingOrder);

        CoreNames = CoreFeatures.Select(f => f == "report_exported" ? new EventName("core." + f, "format", "csv") : new EventName("core." + f)).ToArray();
        ModuleNames = Modules.SelectMany(m => ModuleActions.Select(a => new EventName($"module.{m}.{a}"))).ToArray();
        OtherNames =
        [
            new EventName("support.ticket_opened", "channel", "email"),
            new EventName("support.ticket_closed"),
            new EventName("crm.activity_logged", "type", "call"),
            new EventName("onboarding.step_completed"),
        ];
    }

    public string RunId { get; }
    public string[] WorkspaceIds { get; }
    public byte[][] WorkspaceIdUtf8 { get; }
    public int[] UserCounts { get; }
    public Dictionary<string, int> IndexOf { get; }

    /// <summary>The order in which workspaces get their limit.reached, a seeded permutation.</summary>
    public int[] CrossingOrder { get; }

    public EventName[] CoreNames { get; }
    public EventName[] ModuleNames { get; }
    public EventName[] OtherNames { get; }
    public int Count => WorkspaceIds.Length;
    public long TotalUsers => UserCounts.Sum(u => (long)u);

    public int PickWorkspace(Random random)
    {
        var index = Array.BinarySearch(_activityCdf, random.NextDouble());
        return index >= 0 ? index : Math.Min(~index, _activityCdf.Length - 1);
    }

    /// <summary>Density falls like 1/sqrt(rank): user 0 is the heaviest, the tail is long.</summary>
    public int PickUser(Random random, int workspace) => (int)(UserCounts[workspace] * Square(random.NextDouble()));

    /// <summary>Mostly core features (skewed to the first few), then module use, then a little support/CRM noise.</summary>
    public EventName PickName(Random random)
    {
        var roll = random.NextDouble();
        if (roll < 0.68) return CoreNames[(int)(CoreNames.Length * Square(random.NextDouble()))];
        if (roll < 0.97) return ModuleNames[(int)(ModuleNames.Length * Square(random.NextDouble()))];
        return OtherNames[random.Next(OtherNames.Length)];
    }

    /// <summary>Share of all events that the most active <paramref name="fraction"/> of workspaces send.</summary>
    public double TopShare(double fraction)
    {
        var weights = _activityCdf.Select((c, i) => i == 0 ? c : c - _activityCdf[i - 1]).OrderDescending().ToArray();
        return weights.Take(Math.Max(1, (int)(weights.Length * fraction))).Sum();
    }

    public static string UserId(int user) => "u" + user.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static double Square(double x) => x * x;

    private static double Gaussian(Random random)
    {
        // Box-Muller; 1 - NextDouble() keeps the logarithm away from zero.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
