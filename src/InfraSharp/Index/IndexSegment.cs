namespace InfraSharp.Index;

/// <summary>
/// One training file added to an index (the first build, or an append): its rows in order, shared out over
/// <see cref="Partitions"/> build tasks whose shards are listed, in row order, once the last task finishes.
/// </summary>
internal sealed record IndexSegment
{
    public required int Number { get; init; }
    public required string Train { get; init; }

    /// <summary>The encoded rows' fingerprint: a rerun with the same data resumes this segment.</summary>
    public required string Fingerprint { get; init; }
    public required long Rows { get; init; }
    public required int Partitions { get; init; }

    /// <summary>
    /// Shard files (relative to the index folder), in row order; empty until every partition is written.
    /// </summary>
    public List<string> Shards { get; init; } = [];
    public bool Complete => Shards.Count > 0;
}
