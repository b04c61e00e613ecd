namespace InfraSharp.Influence;

/// <summary>
/// Everything that determines a factor folder's contents: the model and data (full paths) and how the factors
/// are fitted. Written whole into the folder's manifest; a rerun with other arguments is refused.
/// </summary>
public sealed record FactorRunArguments
{
    /// <summary>The model folder (Hugging Face layout: config.json, safetensors, tokenizer files).</summary>
    public required string Model { get; init; }

    /// <summary>The training rows (JSONL or Parquet) the Fisher is estimated on.</summary>
    public required string Data { get; init; }

    /// <summary>How the factors are fitted: strategy, Fisher, modules, batching.</summary>
    public FactorArguments Fit { get; init; } = new();

    /// <summary>The model's compute dtype (weights cast once at load; a bf16 checkpoint is not widened for
    /// bfloat16).</summary>
    [System.Text.Json.Serialization.JsonPropertyName("dtype")]
    public Models.ComputeDType DType { get; init; } = Models.ComputeDType.Float32;

    /// <summary>A memory bound in bytes that sets the tokens per batch (overrides <see
    /// cref="FactorArguments.TokensPerBatch"/>).</summary>
    public long? MaxMemoryBytes { get; init; }

    /// <summary>The same arguments with paths made absolute, so that a rerun from another directory compares
    /// equal.</summary>
    public FactorRunArguments Normalized() =>
        this with
        {
            Model = Path.GetFullPath(Model),
            Data = Path.GetFullPath(Data),
        };

    /// <summary>
    /// Range checks and the data's presence, each message naming its property's path (<c>fit.tokens_per_batch</c>);
    /// the model is checked when it is loaded.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        Fit.Validate(at / "fit");
        if (MaxMemoryBytes is <= 0)
            throw InputError.ArgumentAt($"{at / "max_memory_bytes"} must be positive (got {MaxMemoryBytes})");
        if (!File.Exists(Data))
            throw InputError.MissingFileAt($"{at / "data"} {Data}: no such file", Data);
    }
}
