namespace InfraSharp;

/// <summary>
/// Progress of long work as plain, timestamped lines on stderr: readable in a terminal and in a redirected
/// log alike, and rate-limited so that a tight loop doesn't flood either.
/// </summary>
public sealed class ProgressLog(string what, int total, TimeSpan? every = null)
{
    private readonly DateTime _started = DateTime.UtcNow;
    private DateTime _last = DateTime.MinValue;
    private readonly TimeSpan _every = every ?? TimeSpan.FromSeconds(2);

    public static bool Quiet { get; set; }

    public TimeSpan Elapsed => DateTime.UtcNow - _started;

    public void Report(int done, string? extra = null, bool force = false)
    {
        if (Quiet)
            return;
        var now = DateTime.UtcNow;
        if (!force && done < total && now - _last < _every)
            return;
        _last = now;
        double s = (now - _started).TotalSeconds;
        string eta = done > 0 && done < total ? $", eta {s / done * (total - done):F0}s" : "";
        Console.Error.WriteLine(
            $"[{DateTime.Now:HH:mm:ss}] {what}: {done}/{total} ({100.0 * done / Math.Max(1, total):F0}%, {s:F1}s{eta}){(extra is null ? "" : "  " + extra)}"
        );
    }

    public static void Line(string message)
    {
        if (!Quiet)
            Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
    }
}
