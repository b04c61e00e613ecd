namespace InfraSharp.Influence;

/// <summary>
/// Everything that determines a score folder's contents: model, factors, training and query data (full paths),
/// the strategy (default: the factors' own) and how scores are computed. Written whole into the manifest.
/// </summary>
public sealed record ScoreRunArguments
{
    /// <summary>Pairwise (queries x training examples) or self-influence scores.</summary>
    public ScoreKind Kind { get; init; } = ScoreKind.Pairwise;

    /// <summary>The model folder (the one the factors were fitted for).</summary>
    public required string Model { get; init; }

    /// <summary>Factor folder; not needed for the identity strategy, refused for a baseline (random, repsim,
    /// bm25).</summary>
    public string? Factors { get; init; }

    /// <summary>The training rows to score (JSONL or Parquet).</summary>
    public required string Train { get; init; }

    /// <summary>Query rows (pairwise scores only).</summary>
    public string? Queries { get; init; }

    /// <summary>
    /// Override of the factors' strategy (one whose factors are present), or a baseline score source that needs no
    /// factors (<see cref="StrategyKind.Random"/>, <see cref="StrategyKind.Repsim"/>, <see cref="StrategyKind.Bm25"/>).
    /// </summary>
    public StrategyKind? Strategy { get; init; }

    /// <summary>How scores are computed: measurement, damping, batching, chunking.</summary>
    public ScoreArguments Score { get; init; } = new();

    /// <summary>The model's compute dtype (weights cast once at load; a bf16 checkpoint is not widened for
    /// bfloat16).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("dtype")]
    public Models.ComputeDType DType { get; init; } = Models.ComputeDType.Float32;

    /// <summary>A memory bound in bytes that sets the tokens per batch.</summary>
    public long? MaxMemoryBytes { get; init; }

    /// <summary>A copy with the file paths made absolute (as manifests record them).</summary>
    public ScoreRunArguments Normalized() =>
        this with
        {
            Model = Path.GetFullPath(Model),
            Train = Path.GetFullPath(Train),
            Factors = Factors is null ? null : Path.GetFullPath(Factors),
            Queries = Queries is null ? null : Path.GetFullPath(Queries),
        };

    /// <summary>
    /// Range checks, what each kind takes, and the inputs' presence, each message naming its property's path
    /// (<c>score.chunk_size</c>); the model and the factors' contents are checked when they are loaded.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        var score = at / "score";
        Score.Validate(score);
        if (MaxMemoryBytes is <= 0)
            throw InputError.ArgumentAt($"{at / "max_memory_bytes"} must be positive (got {MaxMemoryBytes})");
        if (!File.Exists(Train))
            throw InputError.MissingFileAt($"{at / "train"} {Train}: no such file", Train);
        if (Kind == ScoreKind.Pairwise)
        {
            if (Queries is null)
                throw InputError.ArgumentAt($"pairwise scores need {at / "queries"}");
            if (!File.Exists(Queries))
                throw InputError.MissingFileAt($"{at / "queries"} {Queries}: no such file", Queries);
        }
        else if (Score.PerToken || Score.AggregateQueries || Score.QueryRank != 0 || Queries is not null)
        {
            var (perToken, aggregate, rank) = (score / "per_token", score / "aggregate_queries", score / "query_rank");
            throw InputError.ArgumentAt($"self scores take no {at / "queries"}, {perToken}, {aggregate} or {rank}");
        }
        if (Strategy is StrategyKind kind && BaselineScores.IsBaseline(kind))
            ValidateBaseline(kind, at);
        if (Factors is not null && !Directory.Exists(Factors))
            throw InputError.MissingFileAt($"{at / "factors"} {Factors}: no such folder", Factors);
    }

    /// <summary>
    /// A baseline scores queries against training rows from the rows alone: no factors, no gradient options.
    /// </summary>
    private void ValidateBaseline(StrategyKind kind, ArgumentPath at)
    {
        var (strategy, score) = (at / "strategy", at / "score");
        string name = EnumNames.Of(kind);
        if (Kind != ScoreKind.Pairwise)
            throw InputError.ArgumentAt($"{strategy} {name} is a pairwise baseline: it has no self scores");
        if (Factors is not null)
            throw InputError.ArgumentAt($"{strategy} {name} is a baseline: it takes no {at / "factors"}");
        var (perToken, aggregate, rank) = (score / "per_token", score / "aggregate_queries", score / "query_rank");
        if (Score.PerToken || Score.AggregateQueries || Score.QueryRank != 0)
            throw InputError.ArgumentAt(
                $"{strategy} {name} is a baseline: it takes no {perToken}, {aggregate}, {rank}"
            );
        if (Score.Damping is not null)
            throw InputError.ArgumentAt($"{strategy} {name} is a baseline: it takes no {score / "damping"}");
        if (Score.ModulePartitions != 1)
            throw InputError.ArgumentAt($"{strategy} {name} tracks no modules: no {score / "module_partitions"}");
        if (MaxMemoryBytes is not null)
            throw InputError.ArgumentAt($"{strategy} {name} is a baseline: no {at / "max_memory_bytes"}");
    }
}
