namespace InfraSharp.Storage;

/// <summary>
/// Where and which share of a run to execute: not part of what the run computes, so not in its arguments
/// record (partitions of one run share a folder and one manifest).
/// </summary>
public sealed record RunOptions
{
    public Partition Partition { get; init; } = Partition.Whole;
    /// <summary>Remove an earlier run with other arguments from the output folder instead of refusing.</summary>
    public bool Overwrite { get; init; }
}
