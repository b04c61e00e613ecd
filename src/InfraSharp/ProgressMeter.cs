namespace InfraSharp;

/// <summary>
/// Counts one stage of a run and sends <see cref="RunProgress"/> reports to a sink (none: counting costs
/// nothing). Reports at most every <c>every</c> (and always the first and the last) so that a tight loop
/// does not flood the sink; how often a person sees a line is the reporter's choice.
/// </summary>
public sealed class ProgressMeter(
    IProgress<RunProgress>? sink,
    string stage,
    long total,
    string unit,
    TimeSpan? every = null
)
{
    private readonly DateTime _started = DateTime.UtcNow;
    private DateTime _last = DateTime.MinValue;
    private readonly TimeSpan _every = every ?? TimeSpan.FromMilliseconds(250);

    /// <summary>Time since the stage started.</summary>
    public TimeSpan Elapsed => DateTime.UtcNow - _started;

    /// <summary>Reports <paramref name="done"/> units finished (throttled unless it is the last or forced).</summary>
    public void Report(long done, string? detail = null, bool force = false)
    {
        if (sink is null)
            return;
        var now = DateTime.UtcNow;
        if (!force && done < total && now - _last < _every)
            return;
        _last = now;
        sink.Report(new RunProgress(stage, done, total, unit, now - _started) { Detail = detail });
    }

    /// <summary>Sends a one-off note to <paramref name="sink"/> (nothing when there is none).</summary>
    public static void Note(IProgress<RunProgress>? sink, string message) => sink?.Report(RunProgress.Note(message));
}
