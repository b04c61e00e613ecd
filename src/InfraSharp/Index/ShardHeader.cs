namespace InfraSharp.Index;

/// <summary>
/// What a shard file says about itself: enough to refuse a shard from another index (model fingerprint,
/// projection seed and dimensions) and to find every byte (rows, dim, dtype) without any other file.
/// </summary>
public sealed record ShardHeader
{
    public int Version { get; init; } = 1;
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

    public int ElementBytes => DType == "float16" ? 2 : 4;
}
