using System.Text.Json.Serialization;
using InfraSharp.Models;

namespace InfraSharp.Influence;

/// <summary>What a memory plan is made for: the influence runs' settings that decide what is resident.</summary>
public sealed record PlanArguments
{
    /// <summary>Which Linear layers are tracked.</summary>
    public ModuleSelection Modules { get; init; } = ModuleSelection.All;

    /// <summary>The strategy whose factors and scores are planned.</summary>
    public StrategyKind Strategy { get; init; } = StrategyKind.Ekfac;

    /// <summary>Padded tokens per batch: the most the plan may use (it lowers it to fit a memory bound).</summary>
    public int TokensPerBatch { get; init; } = 4096;

    /// <summary>Tokens of the longest sequence: a batch holds at least one; per-example tensors count
    /// batch/length.</summary>
    public int SequenceLength { get; init; } = 512;

    /// <summary>Training examples the factors are fitted on and scored (for FLOPs and disk; 0: per batch
    /// only).</summary>
    public int Examples { get; init; }

    /// <summary>Query examples scored (their preconditioned gradients are resident while scoring).</summary>
    public int Queries { get; init; }

    /// <summary>
    /// Rank of the preconditioned query gradients (0: full), as <see cref="ScoreArguments.QueryRank"/>.
    /// </summary>
    public int QueryRank { get; init; }

    /// <summary>Module groups; null: the fewest that fit <see cref="MaxMemoryBytes"/> (1 without a bound).</summary>
    public int? ModulePartitions { get; init; }

    /// <summary>Training examples per score chunk.</summary>
    public int ChunkSize { get; init; } = 256;

    /// <summary>The model's compute dtype.</summary>
    [JsonPropertyName("dtype")]
    public ComputeDType DType { get; init; } = ComputeDType.Float32;

    /// <summary>Dtype the captured activations and gradients are cast to before statistics are formed.</summary>
    [JsonPropertyName("statistics_dtype")]
    public ComputeDType StatisticsDType { get; init; } = ComputeDType.Float32;

    /// <summary>The memory bound in bytes the plan must fit; null: no bound.</summary>
    public long? MaxMemoryBytes { get; init; }

    /// <summary>
    /// Range checks, each message naming its property's path; whether the module partitions fit the model's modules
    /// is the planner's to say.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        if (BaselineScores.IsBaseline(Strategy))
            throw InputError.ArgumentAt(
                $"{at / "strategy"} {EnumNames.Of(Strategy)} is a baseline score source: it has no memory plan"
            );
        if (TokensPerBatch < 1)
            throw InputError.ArgumentAt($"{at / "tokens_per_batch"} must be at least 1 (got {TokensPerBatch})");
        if (SequenceLength < 1)
            throw InputError.ArgumentAt($"{at / "sequence_length"} must be at least 1 (got {SequenceLength})");
        if (Examples < 0)
            throw InputError.ArgumentAt($"{at / "examples"} must be at least 0 (got {Examples})");
        if (Queries < 0)
            throw InputError.ArgumentAt($"{at / "queries"} must be at least 0 (got {Queries})");
        if (QueryRank < 0)
            throw InputError.ArgumentAt($"{at / "query_rank"} must be 0 (full) or more (got {QueryRank})");
        if (ModulePartitions is < 1)
            throw InputError.ArgumentAt($"{at / "module_partitions"} must be at least 1 (got {ModulePartitions})");
        if (ChunkSize < 1)
            throw InputError.ArgumentAt($"{at / "chunk_size"} must be at least 1 (got {ChunkSize})");
        if (MaxMemoryBytes is <= 0)
            throw InputError.ArgumentAt($"{at / "max_memory_bytes"} must be positive (got {MaxMemoryBytes})");
    }
}
