namespace InfraSharp;

/// <summary>
/// Prints a run's <see cref="RunProgress"/> as timestamped lines, readable in a terminal and in a redirected log
/// alike: a stage's count at most every two seconds (and always its last), every note, and every report that
/// carries figures (training's loss lines, already spaced by the run). What the <c>infra</c> command prints.
/// </summary>
/// <param name="writer">Where the lines go, looked up at each report (so a redirected console is followed).</param>
public sealed class ProgressPrinter(Func<TextWriter> writer) : IProgress<RunProgress>
{
    /// <summary>Prints to <paramref name="writer"/>.</summary>
    public ProgressPrinter(TextWriter writer)
        : this(() => writer) { }

    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2);
    private readonly Dictionary<string, DateTime> _lastShown = [];
    private readonly Lock _gate = new();

    /// <summary>Reports may come from several threads (code samples graded in parallel): one line at a time.</summary>
    public void Report(RunProgress value)
    {
        string? line = Line(value);
        if (line is null)
            return;
        lock (_gate)
            writer().WriteLine(line);
    }

    /// <summary>The line for <paramref name="value"/>, or null when its stage was shown too recently.</summary>
    private string? Line(RunProgress value)
    {
        string stamp = $"[{DateTime.Now:HH:mm:ss}]";
        if (value.IsMessage)
            return $"{stamp} {value.Message}";
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            bool last = value.Done >= value.Total;
            if (
                !last
                && value.Detail is null
                && _lastShown.TryGetValue(value.Stage, out var shown)
                && now - shown < Every
            )
                return null;
            _lastShown[value.Stage] = now;
        }
        double s = value.Elapsed.TotalSeconds;
        string eta =
            value.Done > 0 && value.Done < value.Total
                ? $", eta {s / value.Done * (value.Total - value.Done):F0}s"
                : "";
        double percent = 100.0 * value.Done / Math.Max(1, value.Total);
        return $"{stamp} {value.Stage}: {value.Done}/{value.Total} ({percent:F0}%, {s:F1}s{eta})"
            + (value.Detail is null ? "" : "  " + value.Detail);
    }
}
