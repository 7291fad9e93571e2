namespace SignalEngine.Grains.Tests;

/// <summary>Waits for an asynchronous effect (stream delivery) to become visible; fails with the last value seen.</summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, int timeoutSeconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        T last;
        do
        {
            last = await probe();
            if (done(last)) return last;
            await Task.Delay(25);
        }
        while (DateTime.UtcNow < deadline);
        throw new Xunit.Sdk.XunitException($"timed out waiting for {what}; last value: {last}");
    }
}
