namespace Runtime.Tests.Infrastructure;

/// <summary>Waits for a condition that the system makes true asynchronously (a delivery, a state change).</summary>
public static class Eventually
{
    public static async Task<T> Get<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
                return value;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Waited {timeout} for {what}; last seen: {value}");
            await Task.Delay(50);
        }
    }
}
