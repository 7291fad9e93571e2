using System.Text.Json;
using SignalEngine.Core.Events;
using SignalEngine.Core.Workspaces;
using SignalEngine.Grains;

namespace SignalEngine.Server.Api;

/// <summary><c>PUT/GET /v1/workspaces/{workspaceId}</c>: the CRM profile in, the workspace's state out.</summary>
public static class WorkspacesEndpoints
{
    public static async Task<IResult> Put(string workspaceId, HttpContext context, IGrainFactory grains)
    {
        if (EventValidator.Identifier("workspaceId", workspaceId, 128, required: true) is { } idError)
            return ApiJson.Error(StatusCodes.Status400BadRequest, idError);
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiJson.Error(StatusCodes.Status400BadRequest, $"body is not valid JSON: {ex.Message}");
        }
        using (document)
        {
            var (profile, errors) = ReadProfile(document.RootElement);
            if (profile is not null) errors.AddRange(profile.Validate());
            if (errors.Count > 0) return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid workspace profile", errors);
            var grain = grains.GetGrain<IWorkspaceGrain>(workspaceId);
            await grain.SetProfile(profile!);
            return Results.Json(await grain.GetView(), ApiJson.Options);
        }
    }

    public static async Task<IResult> Get(string workspaceId, IGrainFactory grains)
    {
        if (EventValidator.Identifier("workspaceId", workspaceId, 128, required: true) is { } idError)
            return ApiJson.Error(StatusCodes.Status400BadRequest, idError);
        var view = await grains.GetGrain<IWorkspaceGrain>(workspaceId).GetView();
        return view is null
            ? ApiJson.Error(StatusCodes.Status404NotFound, $"workspace '{workspaceId}' is unknown: no profile and no events")
            : Results.Json(view, ApiJson.Options);
    }

    public sealed record HealthHistoryResponse(string WorkspaceId, IReadOnlyList<HealthDay> Days);

    /// <summary><c>GET /v1/workspaces/{id}/health?days=N</c>: the daily score history, oldest first (N from 1 to 90, default 30).</summary>
    public static async Task<IResult> GetHealth(string workspaceId, string? days, IGrainFactory grains)
    {
        if (EventValidator.Identifier("workspaceId", workspaceId, 128, required: true) is { } idError)
            return ApiJson.Error(StatusCodes.Status400BadRequest, idError);
        var count = 30;
        if (days is not null && (!int.TryParse(days, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count) || count is < 1 or > 90))
            return ApiJson.Error(StatusCodes.Status400BadRequest, "invalid query", [$"days: '{days}' is not a whole number from 1 to 90"]);
        var history = await grains.GetGrain<IWorkspaceGrain>(workspaceId).GetHealthHistory(count);
        return history is null
            ? ApiJson.Error(StatusCodes.Status404NotFound, $"workspace '{workspaceId}' is unknown: no profile and no events")
            : Results.Json(new HealthHistoryResponse(workspaceId, history), ApiJson.Options);
    }

    /// <summary>Reads the profile field by field so each type error names its field.</summary>
    private static (WorkspaceProfile? Profile, List<string> Errors) ReadProfile(JsonElement root)
    {
        var errors = new List<string>();
        if (root.ValueKind != JsonValueKind.Object) return (null, ["body must be a JSON object"]);

        string? Text(string field, bool required = false)
        {
            if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required) errors.Add($"{field}: required");
                return null;
            }
            if (value.ValueKind == JsonValueKind.String) return value.GetString();
            errors.Add($"{field}: must be a string");
            return null;
        }

        long? Whole(string field, bool required = false)
        {
            if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                if (required) errors.Add($"{field}: required");
                return null;
            }
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)) return number;
            errors.Add($"{field}: must be a whole number");
            return null;
        }

        var name = Text("name", required: true);
        var createdAtText = Text("createdAt", required: true);
        DateTimeOffset createdAt = default;
        if (createdAtText is not null && !EventValidator.TryParseRfc3339(createdAtText, out createdAt))
            errors.Add($"createdAt: '{createdAtText}' is not an RFC 3339 date-time with an offset");
        var tier = Whole("tier", required: true);
        var seats = Whole("seatsPurchased");
        if (seats is > int.MaxValue) errors.Add("seatsPurchased: too large");

        decimal? mrr = null;
        if (root.TryGetProperty("mrr", out var mrrValue) && mrrValue.ValueKind != JsonValueKind.Null)
        {
            if (mrrValue.ValueKind == JsonValueKind.Number && mrrValue.TryGetDecimal(out var parsed)) mrr = parsed;
            else errors.Add("mrr: must be a number");
        }

        var pilots = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (root.TryGetProperty("pilots", out var pilotsValue) && pilotsValue.ValueKind != JsonValueKind.Null)
        {
            if (pilotsValue.ValueKind != JsonValueKind.Object) errors.Add("pilots: must be an object of module name → list of user ids");
            else
            {
                foreach (var module in pilotsValue.EnumerateObject())
                {
                    if (module.Value.ValueKind != JsonValueKind.Array)
                    {
                        errors.Add($"pilots.{module.Name}: must be a list of user ids");
                        continue;
                    }
                    var users = new List<string>();
                    var index = 0;
                    foreach (var user in module.Value.EnumerateArray())
                    {
                        if (user.ValueKind == JsonValueKind.String) users.Add(user.GetString()!);
                        else errors.Add($"pilots.{module.Name}[{index}]: must be a string");
                        index++;
                    }
                    pilots[module.Name] = users;
                }
            }
        }

        var plan = Text("plan");
        var segment = Text("segment");
        var pod = Text("pod");
        var csm = Text("csm");
        var accountManager = Text("accountManager");
        if (errors.Count > 0) return (null, errors);
        return (new WorkspaceProfile
        {
            Name = name!,
            CreatedAt = createdAt,
            Plan = plan,
            SeatsPurchased = (int?)seats,
            Mrr = mrr,
            Tier = (int)Math.Clamp(tier!.Value, int.MinValue, int.MaxValue),
            Segment = segment,
            Pod = pod,
            Csm = csm,
            AccountManager = accountManager,
            Pilots = pilots,
        }, errors);
    }
}
