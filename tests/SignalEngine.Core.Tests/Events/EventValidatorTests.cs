using Microsoft.Extensions.Time.Testing;
using SignalEngine.Core.Events;

namespace SignalEngine.Core.Tests.Events;

public class EventValidatorTests
{
    private static readonly DateTimeOffset Now = EventFactory.T0;
    private readonly EventValidator _validator = new(new EventLimits(), new FakeTimeProvider(Now));

    private static string Rfc3339(DateTimeOffset instant) => instant.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private static EventDraft ValidDraft() => new()
    {
        EventId = "evt-1",
        WorkspaceId = "ws_acme",
        UserId = "user 1@acme.example",
        Name = "core.report_viewed",
        Timestamp = Rfc3339(Now.AddMinutes(-5)),
        Properties = new Dictionary<string, PropertyValue> { ["plan"] = PropertyValue.Of("pro"), ["rows"] = PropertyValue.Of(12), ["beta"] = PropertyValue.Of(true) },
    };

    private string Error(EventDraft draft)
    {
        var result = _validator.Validate(draft);
        Assert.Null(result.Event);
        Assert.NotNull(result.Error);
        return result.Error;
    }

    private UsageEvent Accepted(EventDraft draft)
    {
        var result = _validator.Validate(draft);
        Assert.Null(result.Error);
        Assert.NotNull(result.Event);
        return result.Event;
    }

    [Fact]
    public void A_valid_draft_becomes_a_usage_event_with_the_same_fields()
    {
        var draft = ValidDraft();
        var e = Accepted(draft);
        Assert.Equal("evt-1", e.EventId);
        Assert.Equal("ws_acme", e.WorkspaceId);
        Assert.Equal("user 1@acme.example", e.UserId);
        Assert.Equal("core.report_viewed", e.Name);
        Assert.Equal(Now.AddMinutes(-5), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
        Assert.NotNull(e.Properties);
        Assert.Equal(3, e.Properties.Count);
        Assert.Equal(12, e.Properties["rows"].Number);
    }

    [Fact]
    public void An_empty_user_id_and_empty_properties_become_null()
    {
        var draft = ValidDraft();
        draft.UserId = "";
        draft.Properties = [];
        var e = Accepted(draft);
        Assert.Null(e.UserId);
        Assert.Null(e.Properties);
    }

    [Fact]
    public void A_draft_with_a_type_error_is_rejected_with_that_error()
    {
        var draft = ValidDraft();
        draft.TypeError = "properties.plan: nested objects are not allowed";
        Assert.Equal("properties.plan: nested objects are not allowed", Error(draft));
    }

    [Theory]
    [InlineData(null, "eventId: required")]
    [InlineData("", "eventId: required")]
    [InlineData("has space", "eventId:")]
    [InlineData("a/b", "eventId:")]
    [InlineData("a?b", "eventId:")]
    [InlineData("a#b", "eventId:")]
    [InlineData("a%b", "eventId:")]
    [InlineData("caf\u00e9", "eventId:")]
    [InlineData("tab\there", "eventId:")]
    public void An_invalid_event_id_is_named_in_the_error(string? eventId, string expectedStart)
    {
        var draft = ValidDraft();
        draft.EventId = eventId;
        Assert.StartsWith(expectedStart, Error(draft));
    }

    [Fact]
    public void An_event_id_longer_than_the_limit_is_rejected_and_one_at_the_limit_accepted()
    {
        var draft = ValidDraft();
        draft.EventId = new string('e', 128);
        Accepted(draft);
        draft.EventId = new string('e', 129);
        Assert.StartsWith("eventId: longer than 128", Error(draft));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ws acme")]
    [InlineData("ws/acme")]
    public void An_invalid_workspace_id_is_named_in_the_error(string? workspaceId)
    {
        var draft = ValidDraft();
        draft.WorkspaceId = workspaceId;
        Assert.StartsWith("workspaceId:", Error(draft));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("core report")]
    [InlineData("core%20report")]
    public void An_invalid_name_is_named_in_the_error(string? name)
    {
        var draft = ValidDraft();
        draft.Name = name;
        Assert.StartsWith("name:", Error(draft));
    }

    [Fact]
    public void A_name_longer_than_the_limit_is_rejected()
    {
        var draft = ValidDraft();
        draft.Name = new string('n', 129);
        Assert.StartsWith("name: longer than 128", Error(draft));
    }

    [Fact]
    public void A_user_id_with_a_control_character_is_named_in_the_error()
    {
        var draft = ValidDraft();
        draft.UserId = "bob\u0007";
        Assert.StartsWith("userId:", Error(draft));
    }

    [Fact]
    public void A_user_id_longer_than_the_limit_is_named_in_the_error()
    {
        var draft = ValidDraft();
        draft.UserId = new string('u', 256);
        Accepted(draft);
        draft.UserId = new string('u', 257);
        Assert.StartsWith("userId: longer than 256", Error(draft));
    }

    [Fact]
    public void A_missing_timestamp_is_named_in_the_error()
    {
        var draft = ValidDraft();
        draft.Timestamp = null;
        Assert.StartsWith("timestamp: required", Error(draft));
        draft.Timestamp = "";
        Assert.StartsWith("timestamp: required", Error(draft));
    }

    [Theory]
    [InlineData("2026-11-02T11:00:00")]
    [InlineData("2026-11-02T11:00:00.000")]
    [InlineData("2026-11-02T11:00:00.0000000")]
    [InlineData("2026-11-02T11:00:00+0100")]
    [InlineData("2026-11-02")]
    [InlineData("not a date at all, clearly")]
    [InlineData("2026-13-02T11:00:00Z")]
    [InlineData("2026-11-02T11:00:00.Z")]
    [InlineData("2026-11-02T11:00:00.1234567891Z")]
    [InlineData("2026-11-02T11:00:00+01:60")]
    [InlineData("2026-11-02T11:00:00+15:00")]
    [InlineData("2026-11-02T11:00:00Z ")]
    [InlineData("2026-11-02T11:00:00+01:00:00")]
    [InlineData("2026-11-0\u0662T11:00:00Z")] // an Arabic-Indic digit: digits are ASCII only
    [InlineData("2026-02-30T11:00:00Z")]
    public void A_timestamp_that_is_not_RFC_3339_with_an_offset_is_rejected(string timestamp)
    {
        var draft = ValidDraft();
        draft.Timestamp = timestamp;
        Assert.StartsWith("timestamp:", Error(draft));
    }

    [Theory]
    [InlineData("11/02/2026 11:00:00 +00:00")]
    [InlineData("09/10/2026 10:00:00 +01:00")] // 9 October to a European producer, read as 10 September
    public void A_slash_date_with_an_offset_is_not_RFC_3339_and_is_rejected(string timestamp)
    {
        var draft = ValidDraft();
        draft.Timestamp = timestamp;
        Assert.StartsWith("timestamp:", Error(draft));
    }

    [Theory]
    [InlineData("2026-11-02T11:00:00Z", "2026-11-02T11:00:00Z")]
    [InlineData("2026-11-02T11:00:00z", "2026-11-02T11:00:00Z")]
    [InlineData("2026-11-02t11:00:00Z", "2026-11-02T11:00:00Z")]
    [InlineData("2026-11-02T11:00:00.250Z", "2026-11-02T11:00:00.250Z")]
    [InlineData("2026-11-02T12:30:00+01:30", "2026-11-02T11:00:00Z")]
    [InlineData("2026-11-02T06:00:00-05:00", "2026-11-02T11:00:00Z")]
    [InlineData("2026-11-02 11:00:00Z", "2026-11-02T11:00:00Z")]
    [InlineData("2026-11-02T11:00:00.123456789Z", "2026-11-02T11:00:00.1234567Z")]
    [InlineData("2026-11-02T11:00:00.5+00:00", "2026-11-02T11:00:00.500Z")]
    public void An_RFC_3339_timestamp_with_an_offset_is_accepted_and_converted_to_UTC(string timestamp, string expectedUtc)
    {
        var draft = ValidDraft();
        draft.Timestamp = timestamp;
        var e = Accepted(draft);
        Assert.Equal(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
    }

    [Fact]
    public void An_event_exactly_at_the_retention_edge_is_accepted_and_one_tick_older_rejected()
    {
        var draft = ValidDraft();
        draft.Timestamp = Rfc3339(Now.AddDays(-90));
        Accepted(draft);

        draft.Timestamp = Rfc3339(Now.AddDays(-90).AddTicks(-1));
        var error = Error(draft);
        Assert.StartsWith("timestamp:", error);
        Assert.Contains("retention", error);
    }

    [Fact]
    public void An_event_exactly_one_hour_ahead_is_accepted_and_one_tick_later_rejected()
    {
        var draft = ValidDraft();
        draft.Timestamp = Rfc3339(Now.AddHours(1));
        Accepted(draft);

        draft.Timestamp = Rfc3339(Now.AddHours(1).AddTicks(1));
        var error = Error(draft);
        Assert.StartsWith("timestamp:", error);
        Assert.Contains("future", error);
    }

    [Fact]
    public void The_time_edges_follow_the_clock()
    {
        var clock = new FakeTimeProvider(Now);
        var validator = new EventValidator(new EventLimits(), clock);
        var draft = ValidDraft();
        draft.Timestamp = Rfc3339(Now.AddHours(2));
        Assert.NotNull(validator.Validate(draft).Error);

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Null(validator.Validate(draft).Error);

        draft.Timestamp = Rfc3339(Now.AddDays(-89));
        Assert.Null(validator.Validate(draft).Error);
        clock.Advance(TimeSpan.FromDays(1));
        Assert.StartsWith("timestamp:", validator.Validate(draft).Error);
    }

    [Fact]
    public void Retention_and_skew_are_configurable()
    {
        var validator = new EventValidator(new EventLimits { Retention = TimeSpan.FromDays(7), MaxFutureSkew = TimeSpan.FromMinutes(5) }, new FakeTimeProvider(Now));
        var draft = ValidDraft();
        draft.Timestamp = Rfc3339(Now.AddDays(-8));
        Assert.StartsWith("timestamp:", validator.Validate(draft).Error);
        draft.Timestamp = Rfc3339(Now.AddMinutes(6));
        Assert.StartsWith("timestamp:", validator.Validate(draft).Error);
        draft.Timestamp = Rfc3339(Now.AddMinutes(5));
        Assert.Null(validator.Validate(draft).Error);
    }

    [Fact]
    public void Too_many_properties_are_named_in_the_error()
    {
        var draft = ValidDraft();
        draft.Properties = Enumerable.Range(0, 64).ToDictionary(i => $"p{i}", i => PropertyValue.Of(i));
        Accepted(draft);
        draft.Properties["p64"] = PropertyValue.Of(64);
        Assert.StartsWith("properties:", Error(draft));
    }

    [Fact]
    public void An_empty_or_too_long_property_key_is_named_in_the_error()
    {
        var draft = ValidDraft();
        draft.Properties = new() { [""] = PropertyValue.Of(1) };
        Assert.StartsWith("properties:", Error(draft));
        draft.Properties = new() { [new string('k', 129)] = PropertyValue.Of(1) };
        Assert.StartsWith("properties:", Error(draft));
        draft.Properties = new() { [new string('k', 128)] = PropertyValue.Of(1) };
        Accepted(draft);
    }

    [Fact]
    public void A_too_long_string_property_is_named_with_its_key()
    {
        var draft = ValidDraft();
        draft.Properties = new() { ["comment"] = PropertyValue.Of(new string('x', 1024)) };
        Accepted(draft);
        draft.Properties = new() { ["comment"] = PropertyValue.Of(new string('x', 1025)) };
        Assert.StartsWith("properties.comment:", Error(draft));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void A_non_finite_number_property_is_named_with_its_key(double number)
    {
        var draft = ValidDraft();
        draft.Properties = new() { ["score"] = PropertyValue.Of(number) };
        Assert.StartsWith("properties.score:", Error(draft));
    }

    [Fact]
    public void Fields_are_checked_in_order_and_the_first_problem_is_reported()
    {
        var draft = new EventDraft { Name = "has space", Timestamp = "garbage" };
        Assert.StartsWith("eventId:", Error(draft));
        draft.EventId = "e1";
        Assert.StartsWith("workspaceId:", Error(draft));
        draft.WorkspaceId = "ws";
        Assert.StartsWith("name:", Error(draft));
        draft.Name = "core.x";
        Assert.StartsWith("timestamp:", Error(draft));
    }

    [Fact]
    public void A_long_invalid_value_is_truncated_in_the_error()
    {
        var draft = ValidDraft();
        draft.EventId = new string('a', 100) + " ";
        var error = Error(draft);
        Assert.StartsWith("eventId:", error);
        Assert.DoesNotContain(new string('a', 100), error);
        Assert.Contains("...", error);
    }
}
