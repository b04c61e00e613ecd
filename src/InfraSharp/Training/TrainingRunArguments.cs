namespace InfraSharp.Training;

/// <summary>
/// An SFT run: the data, where the model starts (a model folder to fine-tune, or a shape initialised from the
/// seed, with a tokenizer folder or one trained on the data) and the optimiser settings. Written whole into the
/// output folder's manifest, so that a resumed run must be the same run.
/// </summary>
public sealed record TrainingRunArguments
{
    public required string Data { get; init; }

    /// <summary>Model folder to fine-tune (excludes <see cref="Init"/>).</summary>
    public string? Model { get; init; }

    /// <summary>A shape to initialise from scratch, e.g. layers=4,hidden=128,heads=4,kv_heads=2,mlp=384.</summary>
    public Models.ShapeSpec? Init { get; init; }

    /// <summary>With <see cref="Init"/>: the tokenizer folder to use.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>With <see cref="Init"/>: train a byte-level BPE tokenizer of this vocabulary size on the data.</summary>
    public int? TrainTokenizer { get; init; }

    /// <summary>Held-out rows whose loss is reported before and after.</summary>
    public string? EvalData { get; init; }
    public bool LabelAll { get; init; }
    public SftOptions Optimizer { get; init; } = new();

    public TrainingRunArguments Normalized() =>
        this with
        {
            Data = Path.GetFullPath(Data),
            Model = Model is null ? null : Path.GetFullPath(Model),
            Tokenizer = Tokenizer is null ? null : Path.GetFullPath(Tokenizer),
            EvalData = EvalData is null ? null : Path.GetFullPath(EvalData),
        };

    /// <summary>Range checks, naming the option a CLI user would fix.</summary>
    public void Validate()
    {
        var o = Optimizer;
        void AtLeast(long v, long min, string option)
        {
            if (v < min)
                throw InputError.Argument($"{option} must be at least {min} (got {v})");
        }
        AtLeast(o.Epochs, 1, "--epochs");
        AtLeast(o.MaxSteps, 0, "--max-steps");
        AtLeast(o.BatchSize, 1, "--batch-size");
        AtLeast(o.GradientAccumulation, 1, "--grad-accum");
        AtLeast(o.WarmupSteps, 0, "--warmup");
        AtLeast(o.CheckpointEvery, 0, "--checkpoint-every");
        AtLeast(o.TokenBudget, 0, "token budget");
        AtLeast(o.LogEvery, 1, "log every");
        if (!(o.LearningRate > 0 && double.IsFinite(o.LearningRate)))
            throw InputError.Argument($"--lr must be a finite number > 0 (got {o.LearningRate})");
        if (!(o.WeightDecay >= 0 && double.IsFinite(o.WeightDecay)))
            throw InputError.Argument($"--weight-decay must be >= 0 (got {o.WeightDecay})");
        if (!(o.ClipNorm > 0 && double.IsFinite(o.ClipNorm)))
            throw InputError.Argument($"--clip must be a finite number > 0 (got {o.ClipNorm})");
        if (TrainTokenizer is int v && v < 260)
            throw InputError.Argument($"--train-tokenizer must be at least 260 (256 bytes + specials; got {v})");
        if (Model is not null && Init is not null)
            throw InputError.Argument("--model and --init exclude each other");
        if (Model is null && Init is null)
            throw InputError.Argument("give --model to fine-tune, or --init SHAPE to start from scratch");
        if (Init is not null && Tokenizer is null && TrainTokenizer is null)
            throw InputError.Argument("--init needs --tokenizer DIR or --train-tokenizer VOCAB");
        if (!File.Exists(Data))
            throw InputError.MissingFile($"--data {Data}: no such file", Data);
        if (EvalData is not null && !File.Exists(EvalData))
            throw InputError.MissingFile($"--eval-data {EvalData}: no such file", EvalData);
    }
}
