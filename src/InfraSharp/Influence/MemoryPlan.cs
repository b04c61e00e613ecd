using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>One resident allocation of a stage, by name, in bytes.</summary>
public sealed record MemoryPiece(string Name, long Bytes);

/// <summary>A stage's resident pieces at its peak (their sum), and its floating-point operations.</summary>
public sealed record StagePlan(string Name, IReadOnlyList<MemoryPiece> Pieces, double Flops)
{
    [JsonPropertyName("peak_bytes")]
    public long PeakBytes => Pieces.Sum(p => p.Bytes);

    public long this[string piece] => Pieces.FirstOrDefault(p => p.Name == piece)?.Bytes ?? 0;
}

/// <summary>
/// What the influence runs of <see cref="PlanArguments"/> keep resident, stage by stage (covariance, eigen, lambda,
/// query preparation, scores), what they write, and the batch size and module partitions chosen to fit a bound.
/// </summary>
public sealed record MemoryPlan
{
    public required PlanArguments Arguments { get; init; }
    public required IReadOnlyList<StagePlan> Stages { get; init; }

    [JsonPropertyName("peak_bytes")]
    public long PeakBytes => Stages.Max(s => s.PeakBytes);

    [JsonPropertyName("module_partitions")]
    public required int ModulePartitions { get; init; }

    [JsonPropertyName("tokens_per_batch")]
    public required int TokensPerBatch { get; init; }

    /// <summary>Tensor bytes of the factor files the factors run writes (safetensors headers excluded).</summary>
    [JsonPropertyName("factors_disk_bytes")]
    public required long FactorsDiskBytes { get; init; }

    /// <summary>Tensor bytes of the final score files (pairwise, per-token when asked is not planned here).</summary>
    [JsonPropertyName("scores_disk_bytes")]
    public required long ScoresDiskBytes { get; init; }

    [JsonPropertyName("fits")]
    public bool Fits => Arguments.MaxMemoryBytes is not long max || PeakBytes <= max;

    public StagePlan Stage(string name) => Stages.First(s => s.Name == name);
}
