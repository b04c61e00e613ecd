namespace InfraSharp.Training;

/// <summary>Supervised fine-tuning settings (AdamW, linear warmup then cosine decay, clipping, accumulation).</summary>
public sealed record SftOptions
{
    /// <summary>
    /// Passes over the training rows (unless <see cref="MaxSteps"/> or <see cref="TokenBudget"/> decide).
    /// </summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Stop after this many optimizer steps (0: run all epochs).</summary>
    public int MaxSteps { get; init; }

    /// <summary>Examples per micro-batch.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Peak learning rate, reached at the end of warmup.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>The learning rate at the last step, as a fraction of the peak.</summary>
    public double MinLearningRateRatio { get; init; } = 0.1;

    /// <summary>Steps of linear warmup from 0 to the peak.</summary>
    public int WarmupSteps { get; init; } = 20;

    /// <summary>AdamW's decoupled weight decay.</summary>
    public double WeightDecay { get; init; } = 0.01;

    /// <summary>AdamW's first-moment decay.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>AdamW's second-moment decay.</summary>
    public double Beta2 { get; init; } = 0.99;

    /// <summary>AdamW's denominator epsilon.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>Largest global gradient norm; larger gradients are scaled down to it.</summary>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>Seed of the data order (and of the initialisation when training from a shape).</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Write a resumable checkpoint every this many steps (0: only at the end).</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Row attribute that weights an example's loss (missing: 1).</summary>
    public string WeightField { get; init; } = "weight";

    /// <summary>Report progress every this many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>
    /// Train on about this many tokens (0: use epochs): the step count is the budget over the mean tokens of
    /// a step, so datasets of different lengths can be compared at equal compute.
    /// </summary>
    public long TokenBudget { get; init; }
}
