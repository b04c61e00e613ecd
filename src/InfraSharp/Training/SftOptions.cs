namespace InfraSharp.Training;

/// <summary>Supervised fine-tuning settings (AdamW, linear warmup then cosine decay, clipping, accumulation).</summary>
public sealed record SftOptions
{
    public int Epochs { get; init; } = 1;

    /// <summary>Stop after this many optimizer steps (0: run all epochs).</summary>
    public int MaxSteps { get; init; }
    public int BatchSize { get; init; } = 8;
    public int GradientAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 1e-3;
    public double MinLearningRateRatio { get; init; } = 0.1;
    public int WarmupSteps { get; init; } = 20;
    public double WeightDecay { get; init; } = 0.01;
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.99;
    public double Epsilon { get; init; } = 1e-8;
    public double ClipNorm { get; init; } = 1.0;
    public long Seed { get; init; } = 1;

    /// <summary>Write a resumable checkpoint every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Row attribute that weights an example's loss (missing: 1).</summary>
    public string WeightField { get; init; } = "weight";
    public int LogEvery { get; init; } = 10;

    /// <summary>
    /// Train on about this many tokens (0: use epochs): the step count is the budget over the mean tokens of
    /// a step, so datasets of different lengths can be compared at equal compute.
    /// </summary>
    public long TokenBudget { get; init; }
}
