using static SignalEngine.Server.Tests.Api.ApiClient;

namespace SignalEngine.Server.Tests.Hosting;

public sealed class EngineLimitsTests
{
    [Fact]
    public async Task Overload_is_429_with_retry_after_and_a_smaller_batch_still_goes_through()
    {
        await using var server = await EngineServer.StartAsync(("SIGNALENGINE_MAX_PENDING_EVENTS", "5"));
        var ws = NewWorkspace();
        var events = Enumerable.Range(0, 6).Select(i => Event(ws, $"o{i}", "u1", "core.x")).ToArray();

        using var response = await server.Http.PostAsync("/v1/events", Json(events));

        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        var (status, body) = await PostEvents(server.Http, Json(events[..5]));
        Assert.Equal(202, status);
        Assert.Equal(5, body!["accepted"]!.GetValue<int>());
    }

    [Fact]
    public async Task Too_many_events_in_one_request_is_413()
    {
        await using var server = await EngineServer.StartAsync(("SIGNALENGINE_MAX_EVENTS_PER_REQUEST", "3"));
        var ws = NewWorkspace();
        var (status, body) = await PostEvents(server.Http, Json(Enumerable.Range(0, 4).Select(i => Event(ws, $"x{i}", "u1", "core.x")).ToArray()));
        Assert.Equal(413, status);
        Assert.Contains("at most 3", body!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Health_and_readiness_need_no_key()
    {
        await using var server = await EngineServer.StartAsync();
        using var anonymous = server.NewClient(apiKey: null);
        Assert.Equal(200, (int)(await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal(200, (int)(await anonymous.GetAsync("/readyz")).StatusCode);
    }
}
