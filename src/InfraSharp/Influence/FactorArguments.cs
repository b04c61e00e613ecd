namespace InfraSharp.Influence;

/// <summary>How factors are fitted (recorded in the manifest; scoring checks it).</summary>
public sealed record FactorArguments
{
    /// <summary>The influence strategy whose factors are fitted (EK-FAC by default).</summary>
    public StrategyKind Strategy { get; init; } = StrategyKind.Ekfac;

    /// <summary>Whether the Fisher uses the data's labels (empirical) or labels sampled from the model.</summary>
    public FisherMode Fisher { get; init; } = FisherMode.Empirical;

    /// <summary>Which Linear layers are tracked.</summary>
    public ModuleSelection Modules { get; init; } = ModuleSelection.All;

    /// <summary>Seed of the sampled labels (<see cref="FisherMode.Sampled"/>).</summary>
    public long Seed { get; init; }

    /// <summary>Fit on at most this many examples (0: all).</summary>
    public int MaxExamples { get; init; }

    /// <summary>Padded tokens per batch (batch size x longest sequence).</summary>
    public int TokensPerBatch { get; init; } = 4096;

    /// <summary>
    /// Groups of modules fitted one at a time (a pass over the data each), so that only one group's statistics
    /// are resident; the factors are identical for any count, and so are the files' contents, split per group.
    /// </summary>
    public int ModulePartitions { get; init; } = 1;

    /// <summary>Dtype the captured activations and gradients are cast to before covariances and lambdas are
    /// formed.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("statistics_dtype")]
    public Models.ComputeDType StatisticsDType { get; init; } = Models.ComputeDType.Float32;

    /// <summary>Range checks, each message naming its property's path under <paramref name="at"/>.</summary>
    public void Validate(ArgumentPath at = default)
    {
        if (!Enum.IsDefined(Strategy))
            throw InputError.ArgumentAt($"{at / "strategy"} is not a strategy ({Strategy})");
        if (BaselineScores.IsBaseline(Strategy))
            throw InputError.ArgumentAt(
                $"{at / "strategy"} {EnumNames.Of(Strategy)} is a baseline score source: it has no factors to fit"
            );
        if (MaxExamples < 0)
            throw InputError.ArgumentAt($"{at / "max_examples"} must be 0 (all) or more (got {MaxExamples})");
        if (TokensPerBatch < 1)
            throw InputError.ArgumentAt($"{at / "tokens_per_batch"} must be at least 1 (got {TokensPerBatch})");
        if (ModulePartitions < 1)
            throw InputError.ArgumentAt($"{at / "module_partitions"} must be at least 1 (got {ModulePartitions})");
    }
}
