using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>One resident allocation of a stage, by name, in bytes.</summary>
public sealed record MemoryPiece(string Name, long Bytes);

/// <summary>A stage's resident pieces at its peak (their sum), and its floating-point operations.</summary>
public sealed record StagePlan(string Name, IReadOnlyList<MemoryPiece> Pieces, double Flops)
{
    /// <summary>The stage's peak: the sum of its resident pieces, in bytes.</summary>
    [JsonPropertyName("peak_bytes")]
    public long PeakBytes => Pieces.Sum(p => p.Bytes);

    /// <summary>The bytes of the piece named <paramref name="piece"/> (0 when the stage has none).</summary>
    public long this[string piece] => Pieces.FirstOrDefault(p => p.Name == piece)?.Bytes ?? 0;
}

/// <summary>
/// What the influence runs of <see cref="PlanArguments"/> keep resident, stage by stage (covariance, eigen, lambda,
/// query preparation, scores), what they write, and the batch size and module partitions chosen to fit a bound.
/// </summary>
public sealed record MemoryPlan
{
    /// <summary>The settings planned for (after the planner's choices of batch and module partitions).</summary>
    public required PlanArguments Arguments { get; init; }

    /// <summary>
    /// Every stage the runs go through, with its resident pieces (covariance, eigen, lambda, queries, scores).
    /// </summary>
    public required IReadOnlyList<StagePlan> Stages { get; init; }

    /// <summary>The largest stage peak, in bytes.</summary>
    [JsonPropertyName("peak_bytes")]
    public long PeakBytes => Stages.Max(s => s.PeakBytes);

    /// <summary>Module groups chosen (or given) so that the peak fits the bound.</summary>
    [JsonPropertyName("module_partitions")]
    public required int ModulePartitions { get; init; }

    /// <summary>Padded tokens per batch chosen (at most the given one) so that the peak fits the bound.</summary>
    [JsonPropertyName("tokens_per_batch")]
    public required int TokensPerBatch { get; init; }

    /// <summary>Tensor bytes of the factor files the factors run writes (safetensors headers excluded).</summary>
    [JsonPropertyName("factors_disk_bytes")]
    public required long FactorsDiskBytes { get; init; }

    /// <summary>Tensor bytes of the final score files (pairwise, per-token when asked is not planned here).</summary>
    [JsonPropertyName("scores_disk_bytes")]
    public required long ScoresDiskBytes { get; init; }

    /// <summary>
    /// Whether <see cref="PeakBytes"/> is within <see cref="PlanArguments.MaxMemoryBytes"/> (always, without a bound).
    /// </summary>
    [JsonPropertyName("fits")]
    public bool Fits => Arguments.MaxMemoryBytes is not long max || PeakBytes <= max;

    /// <summary>The stage named <paramref name="name"/> (one of the <see cref="MemoryPlanner"/> stage names).</summary>
    public StagePlan Stage(string name) => Stages.First(s => s.Name == name);
}
