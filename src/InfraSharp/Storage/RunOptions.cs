namespace InfraSharp.Storage;

/// <summary>
/// Where and which share of a run to execute: not part of what the run computes, so not in its arguments
/// record (partitions of one run share a folder and one manifest).
/// </summary>
public sealed record RunOptions
{
    /// <summary>
    /// Which share (i/n) of the run this process executes; <see cref="Partition.Whole"/> runs all of it.
    /// </summary>
    public Partition Partition { get; init; } = Partition.Whole;

    /// <summary>Remove an earlier run with other arguments from the output folder instead of refusing.</summary>
    public bool Overwrite { get; init; }

    /// <summary>
    /// Where the model runs: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>. Not compared on a rerun: a partition may run
    /// on another machine's device, and the results agree within the compute dtype's rounding.
    /// </summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Stops the run between batches and chunks (throwing <see cref="OperationCanceledException"/>), leaving a folder
    /// that the same run resumes: what was written is whole, what was not is redone.
    /// </summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>
    /// Where the run reports how far it has come (<see cref="RunProgress"/>: stage, done, total, unit, elapsed)
    /// and its notes; null: it reports nothing. The CLI prints these as timestamped lines on stderr.
    /// </summary>
    public IProgress<RunProgress>? Progress { get; init; }
}
