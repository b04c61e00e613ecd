namespace InfraSharp.Index;

/// <summary>
/// What a shard file says about itself: enough to refuse a shard from another index (model fingerprint,
/// projection seed and dimensions), to find every byte (rows, dim, dtype) without any other file, and to check them
/// (the rows per checksum block and the checksum of the block checksums' table).
/// </summary>
internal sealed record ShardHeader
{
    /// <summary>
    /// 2: checksummed (a header checksum, a table of per-block checksums). Version 1 shards (no checksums) are refused
    /// with a one-line message: rebuilding is the only way to know their bytes are the ones written.
    /// </summary>
    public const int FormatVersion = 2;

    public int Version { get; init; } = FormatVersion;
    public required long Rows { get; init; }
    public required int Dim { get; init; }

    /// <summary>
    /// <c>float16</c> (each row scaled by its largest magnitude, the scale kept as float32) or <c>float32</c>.
    /// </summary>
    public required string DType { get; init; }
    public required long ProjectionSeed { get; init; }

    /// <summary>The projection dimensions (<see cref="ProjectionSpec"/>) the vectors were drawn with.</summary>
    public required string Projection { get; init; }
    public required string Model { get; init; }

    /// <summary>Rows per checksum block (a power of two; the last block may be short). Set by the writer.</summary>
    public int ChecksumRows { get; init; }

    /// <summary>XXH3-64 of the table of block checksums, 16 hex digits. Set by the writer.</summary>
    public string? TableChecksum { get; init; }

    public int ElementBytes => DType == "float16" ? 2 : 4;
}
