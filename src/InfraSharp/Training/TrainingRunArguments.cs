namespace InfraSharp.Training;

/// <summary>
/// An SFT run: the data, where the model starts (a model folder to fine-tune, or a shape initialised from the
/// seed, with a tokenizer folder or one trained on the data) and the optimiser settings. Written whole into the
/// output folder's manifest, so that a resumed run must be the same run.
/// </summary>
public sealed record TrainingRunArguments
{
    /// <summary>The training rows (JSONL or Parquet).</summary>
    public required string Data { get; init; }

    /// <summary>Model folder to fine-tune (excludes <see cref="Init"/>).</summary>
    public string? Model { get; init; }

    /// <summary>A shape to initialise from scratch, e.g. layers=4,hidden=128,heads=4,kv_heads=2,mlp=384.</summary>
    public Models.ShapeSpec? Init { get; init; }

    /// <summary>With <see cref="Init"/>: the tokenizer folder to use.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>With <see cref="Init"/>: train a byte-level BPE tokenizer of this vocabulary size on the
    /// data.</summary>
    public int? TrainTokenizer { get; init; }

    /// <summary>Held-out rows whose loss is reported before and after.</summary>
    public string? EvalData { get; init; }

    /// <summary>Put loss on every token, not only on responses.</summary>
    public bool LabelAll { get; init; }

    /// <summary>The optimiser and schedule settings.</summary>
    public SftOptions Optimizer { get; init; } = new();

    /// <summary>A copy with the file paths made absolute (as manifests record them).</summary>
    public TrainingRunArguments Normalized() =>
        this with
        {
            Data = Path.GetFullPath(Data),
            Model = Model is null ? null : Path.GetFullPath(Model),
            Tokenizer = Tokenizer is null ? null : Path.GetFullPath(Tokenizer),
            EvalData = EvalData is null ? null : Path.GetFullPath(EvalData),
        };

    /// <summary>
    /// Range checks, which start the run takes, and the data's presence, each message naming its property's path
    /// (<c>optimizer.batch_size</c>); the CLI writes its flag instead.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        var o = Optimizer;
        var opt = at / "optimizer";
        void AtLeast(long v, long min, ArgumentPath path)
        {
            if (v < min)
                throw InputError.ArgumentAt($"{path} must be at least {min} (got {v})");
        }
        AtLeast(o.Epochs, 1, opt / "epochs");
        AtLeast(o.MaxSteps, 0, opt / "max_steps");
        AtLeast(o.BatchSize, 1, opt / "batch_size");
        AtLeast(o.GradientAccumulation, 1, opt / "gradient_accumulation");
        AtLeast(o.WarmupSteps, 0, opt / "warmup_steps");
        AtLeast(o.CheckpointEvery, 0, opt / "checkpoint_every");
        AtLeast(o.TokenBudget, 0, opt / "token_budget");
        AtLeast(o.LogEvery, 1, opt / "log_every");
        if (!(o.LearningRate > 0 && double.IsFinite(o.LearningRate)))
            throw InputError.ArgumentAt($"{opt / "learning_rate"} must be a finite number > 0 (got {o.LearningRate})");
        if (!(o.WeightDecay >= 0 && double.IsFinite(o.WeightDecay)))
            throw InputError.ArgumentAt($"{opt / "weight_decay"} must be >= 0 (got {o.WeightDecay})");
        if (!(o.ClipNorm > 0 && double.IsFinite(o.ClipNorm)))
            throw InputError.ArgumentAt($"{opt / "clip_norm"} must be a finite number > 0 (got {o.ClipNorm})");
        var (model, init, tokenizer, trainTokenizer) = (
            at / "model",
            at / "init",
            at / "tokenizer",
            at / "train_tokenizer"
        );
        if (TrainTokenizer is int v && v < 260)
            throw InputError.ArgumentAt($"{trainTokenizer} must be at least 260 (256 bytes + specials; got {v})");
        if (Model is not null && Init is not null)
            throw InputError.ArgumentAt($"{model} and {init} exclude each other");
        if (Model is null && Init is null)
            throw InputError.ArgumentAt($"give {model} to fine-tune, or {init} SHAPE to start from scratch");
        if (Init is not null && Tokenizer is null && TrainTokenizer is null)
            throw InputError.ArgumentAt($"{init} needs {tokenizer} DIR or {trainTokenizer} VOCAB");
        if (!File.Exists(Data))
            throw InputError.MissingFileAt($"{at / "data"} {Data}: no such file", Data);
        if (EvalData is not null && !File.Exists(EvalData))
            throw InputError.MissingFileAt($"{at / "eval_data"} {EvalData}: no such file", EvalData);
    }
}
