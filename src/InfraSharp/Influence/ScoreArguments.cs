namespace InfraSharp.Influence;

/// <summary>How scores are computed.</summary>
public sealed record ScoreArguments
{
    /// <summary>Added to the eigenvalue matrix before inversion; null: 0.1 x its mean per module (heuristic).</summary>
    public double? Damping { get; init; }

    /// <summary>What the query side's score measures (and so the sign convention).</summary>
    public Measurement Measurement { get; init; } = Measurement.Loss;

    /// <summary>Treat the whole query set as one target (the mean of the queries' measurements).</summary>
    public bool AggregateQueries { get; init; }

    /// <summary>
    /// Also write per-token scores [queries, train, T]: each training position's share of the pairwise score.
    /// </summary>
    public bool PerToken { get; init; }

    /// <summary>Keep each preconditioned query gradient as a rank-R factorisation (0: full).</summary>
    public int QueryRank { get; init; }

    /// <summary>Padded tokens per batch (batch size x longest sequence).</summary>
    public int TokensPerBatch { get; init; } = 4096;

    /// <summary>Training examples per resumable chunk.</summary>
    public int ChunkSize { get; init; } = 256;

    /// <summary>
    /// Seed of the randomized SVD behind a low-rank query (<see cref="QueryRank"/> above 0), and of the random
    /// baseline's scores (<see cref="StrategyKind.Random"/>).
    /// </summary>
    public long Seed { get; init; }

    /// <summary>
    /// Groups of modules scored one at a time (a pass over the data each): only one group's factors and
    /// preconditioned query gradients are resident; the scores are the same for any count (sums over modules).
    /// </summary>
    public int ModulePartitions { get; init; } = 1;

    /// <summary>Dtype the captured activations and gradients are cast to before per-example gradients are
    /// formed.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("statistics_dtype")]
    public Models.ComputeDType StatisticsDType { get; init; } = Models.ComputeDType.Float32;

    /// <summary>Dtype of the eigenbasis rotations in the preconditioner (float32, or float64 for exactness
    /// checks).</summary>
    public Precision Precision { get; init; } = Precision.Float32;

    /// <summary>Range checks, each message naming its property's path under <paramref name="at"/>.</summary>
    public void Validate(ArgumentPath at = default)
    {
        if (TokensPerBatch < 1)
            throw InputError.ArgumentAt($"{at / "tokens_per_batch"} must be at least 1 (got {TokensPerBatch})");
        if (ChunkSize < 1)
            throw InputError.ArgumentAt($"{at / "chunk_size"} must be at least 1 (got {ChunkSize})");
        if (ModulePartitions < 1)
            throw InputError.ArgumentAt($"{at / "module_partitions"} must be at least 1 (got {ModulePartitions})");
        if (QueryRank < 0)
            throw InputError.ArgumentAt($"{at / "query_rank"} must be 0 (full) or more (got {QueryRank})");
        if (Damping is double d && !(d >= 0 && double.IsFinite(d)))
            throw InputError.ArgumentAt($"{at / "damping"} must be a finite value >= 0 (got {d})");
    }
}
