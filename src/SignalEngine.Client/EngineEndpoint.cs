using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;

namespace SignalEngine.Client;

/// <summary>The engine's HTTP address, key and client: builds authenticated requests and reads error bodies.</summary>
internal sealed class EngineEndpoint : IDisposable
{
    private static readonly ProductInfoHeaderValue UserAgent = new("SignalEngine.Client",
        typeof(EngineEndpoint).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private readonly Uri _base;
    private readonly AuthenticationHeaderValue _authorization;
    private readonly bool _ownsHttp;

    public EngineEndpoint(SignalEngineClientOptions options)
    {
        // A base without a trailing slash would lose its last path segment when combined.
        var text = options.BaseAddress.AbsoluteUri;
        _base = new Uri(text.EndsWith('/') ? text : text + "/");
        _authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        if (options.HttpClient is { } shared)
        {
            Http = shared;
        }
        else
        {
            // Per-attempt time limits are the client's own (RequestTimeout); HttpClient's would also cut the live feed.
            var handler = options.Handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(10) };
            Http = new HttpClient(handler, disposeHandler: options.Handler is null) { Timeout = Timeout.InfiniteTimeSpan };
            _ownsHttp = true;
        }
        EventsUri = new Uri(_base, "v1/events");
    }

    public HttpClient Http { get; }

    public Uri EventsUri { get; }

    public Uri PlayStreamUri(PlayFilter filter) => new(_base, "v1/plays/stream" + filter.QueryString());

    public HttpRequestMessage NewRequest(HttpMethod method, Uri uri)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = _authorization;
        request.Headers.UserAgent.Add(UserAgent);
        return request;
    }

    /// <summary>The engine's <c>{"error"}</c> message, or the start of whatever the body is.</summary>
    public static async Task<string> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            if (response.Content.Headers.ContentType?.MediaType == "application/json"
                && await response.Content.ReadFromJsonAsync(ClientJson.Default.ErrorAnswer, cancellationToken).ConfigureAwait(false) is { Error: { } error } answer)
            {
                return answer.Errors is { Count: > 0 } errors ? $"{error}: {string.Join("; ", errors)}" : error;
            }
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            return text.Length == 0 ? response.ReasonPhrase ?? "(no body)" : text[..Math.Min(text.Length, 300)];
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or HttpRequestException or IOException or OperationCanceledException)
        {
            return response.ReasonPhrase ?? $"(body unreadable: {ex.Message})";
        }
    }

    public void Dispose()
    {
        if (_ownsHttp) Http.Dispose();
    }
}
