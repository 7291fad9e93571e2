using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SignalEngine.LoadTests;

/// <summary>
/// Gives every workspace a CRM profile before the run (<c>PUT /v1/workspaces/{id}</c>), as a real
/// deployment has: tier, seats near the user count, owners, and a few pilot users on one module.
/// </summary>
internal static class WorkspaceProfiles
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public static async Task PutAllAsync(HttpClient http, IReadOnlyList<Uri> targets, Workload workload, int seed, int parallelism, CancellationToken cancellationToken)
    {
        var random = new Random(seed ^ 0x5EED);
        var bodies = Enumerable.Range(0, workload.Count).Select(i => Profile(workload, i, random)).ToArray();
        await Parallel.ForEachAsync(Enumerable.Range(0, workload.Count),
            new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var uri = new Uri(targets[i % targets.Count], "v1/workspaces/" + workload.WorkspaceIds[i]);
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        using var content = new ByteArrayContent(bodies[i]) { Headers = { ContentType = Json } };
                        using var response = await http.PutAsync(uri, content, ct);
                        if (response.IsSuccessStatusCode) return;
                        var text = await response.Content.ReadAsStringAsync(ct);
                        if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || attempt >= 5)
                            throw new RunAbortedException($"PUT /v1/workspaces/{workload.WorkspaceIds[i]} answered {(int)response.StatusCode}: {text}");
                    }
                    catch (HttpRequestException) when (attempt < 5)
                    {
                        // A connection hiccup: try again below.
                    }
                    catch (HttpRequestException ex)
                    {
                        throw new RunAbortedException($"PUT /v1/workspaces/{workload.WorkspaceIds[i]} failed: {ex.Message}");
                    }
                    await Task.Delay(200 * attempt, ct);
                }
            });
    }

    private static byte[] Profile(Workload workload, int index, Random random)
    {
        var users = workload.UserCounts[index];
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("name", $"Load test workspace {index}");
            json.WriteString("createdAt", DateTime.UtcNow.Date.AddDays(-random.Next(30, 900)));
            json.WriteNumber("tier", random.NextDouble() switch { < 0.1 => 1, < 0.4 => 2, _ => 3 });
            json.WriteNumber("seatsPurchased", (int)Math.Ceiling(users * (1.0 + random.NextDouble() * 0.6)));
            json.WriteString("csm", $"csm-{random.Next(1, 21)}");
            json.WriteString("accountManager", $"am-{random.Next(1, 11)}");
            json.WriteString("pod", $"pod-{random.Next(1, 5)}");
            json.WriteStartObject("pilots");
            json.WriteStartArray(Workload.Modules[index % Workload.Modules.Length]);
            for (var u = 0; u < Math.Min(5, users); u++) json.WriteStringValue(Workload.UserId(u));
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The run cannot go on (bad key, engine refused the setup, ...); the message says why.</summary>
internal sealed class RunAbortedException(string message) : Exception(message);
