namespace InfraSharp;

/// <summary>
/// One report of a run's progress: how far a stage has come (<see cref="Done"/> of <see cref="Total"/>
/// <see cref="Unit"/>), or, with <see cref="Total"/> 0, a one-off <see cref="Message"/>. Runs send these to
/// <see cref="Storage.RunOptions.Progress"/>; the library never writes to the console itself.
/// </summary>
/// <param name="Stage">What is being done, e.g. <c>covariance</c>, <c>pairwise scores</c>, <c>train</c>.</param>
/// <param name="Done">Units finished so far in this stage.</param>
/// <param name="Total">Units the stage has in all (0 for a message).</param>
/// <param name="Unit">What is counted: <c>examples</c>, <c>modules</c>, <c>steps</c>, <c>rows</c>, ...</param>
/// <param name="Elapsed">Time since the stage started.</param>
public sealed record RunProgress(string Stage, long Done, long Total, string Unit, TimeSpan Elapsed)
{
    /// <summary>Extra figures of this report (loss, learning rate, throughput), shown after the count.</summary>
    public string? Detail { get; init; }

    /// <summary>A one-off note of the run (a stage starting, a result, a warning); null for a count.</summary>
    public string? Message { get; init; }

    /// <summary>True when this report is a note rather than a count.</summary>
    public bool IsMessage => Message is not null;

    /// <summary>A note, not tied to a count.</summary>
    public static RunProgress Note(string message) => new("note", 0, 0, "", TimeSpan.Zero) { Message = message };
}
