using System.Text.Json.Serialization;

namespace InfraSharp.Evaluation;

/// <summary>Which grader an evaluation uses.</summary>
public enum EvalDomain
{
    /// <summary>Grade by the final answer (boxed or last number), compared with the row's <c>answer</c>.</summary>
    [JsonStringEnumMemberName("math")]
    Math,

    /// <summary>Grade by running the extracted code against the problem's tests in the sandbox.</summary>
    [JsonStringEnumMemberName("code")]
    Code,

    /// <summary>Each row by its own <c>domain</c> field (math or code): one file for a mixed held-out set.</summary>
    [JsonStringEnumMemberName("mixed")]
    Mixed,
}

/// <summary>How samples are generated when a model is given (greedy unless a temperature is set).</summary>
public sealed record SamplingSettings
{
    /// <summary>Samples generated per problem (more than 1 needs a <see cref="Temperature"/>).</summary>
    public int SamplesPerProblem { get; init; } = 1;

    /// <summary>Sampling temperature; null: greedy decoding.</summary>
    public double? Temperature { get; init; }

    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches this (1: all).</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Seed of the sampling.</summary>
    public long Seed { get; init; }

    /// <summary>Most new tokens per completion.</summary>
    public int MaxNewTokens { get; init; } = 512;

    /// <summary>Prompts generated at once.</summary>
    public int BatchSize { get; init; } = 16;
}

/// <summary>
/// An evaluation: problems and either a model that answers them or samples already written, the sampling
/// settings, and for code the sandbox's limits. Written whole into the output folder's manifest.
/// </summary>
public sealed record EvaluationRunArguments
{
    /// <summary>Which grader to use (math, code, or each row's own domain).</summary>
    public EvalDomain Domain { get; init; } = EvalDomain.Math;

    /// <summary>Problem rows (math: with <c>answer</c>; code: HumanEval form or prose with tests).</summary>
    public string? Problems { get; init; }

    /// <summary>
    /// The model folder that answers the problems (with <see cref="Problems"/>), instead of <see cref="Samples"/>.
    /// </summary>
    public string? Model { get; init; }

    /// <summary>Rows with a completion per sample, instead of a model.</summary>
    public string? Samples { get; init; }

    /// <summary>How samples are generated with <see cref="Model"/>.</summary>
    public SamplingSettings Sampling { get; init; } = new();

    /// <summary>The model's compute dtype while generating.</summary>
    [JsonPropertyName("dtype")]
    public Models.ComputeDType DType { get; init; } = Models.ComputeDType.Float32;

    /// <summary>Wall-clock limit per code sample, in seconds.</summary>
    public double TimeoutSeconds { get; init; } = 10;

    /// <summary>Memory limit per code sample, in MiB.</summary>
    public int MemoryMb { get; init; } = 1024;

    /// <summary>Samples executed at once (0: the CPU count).</summary>
    public int Parallel { get; init; }

    /// <summary>
    /// Run model-written code without the bubblewrap sandbox (only python3's own limits): never the default.
    /// </summary>
    public bool UnsafeNoSandbox { get; init; }

    /// <summary>A copy with the file paths made absolute (as manifests record them).</summary>
    public EvaluationRunArguments Normalized() =>
        this with
        {
            Problems = Problems is null ? null : Path.GetFullPath(Problems),
            Model = Model is null ? null : Path.GetFullPath(Model),
            Samples = Samples is null ? null : Path.GetFullPath(Samples),
        };

    /// <summary>
    /// Range checks, what the domain needs, and the inputs' presence, each message naming its property's path
    /// (<c>sampling.top_p</c>); the CLI writes its flag instead.
    /// </summary>
    public void Validate(ArgumentPath at = default)
    {
        var s = Sampling;
        var sampling = at / "sampling";
        var (n, temperature) = (sampling / "samples_per_problem", sampling / "temperature");
        if (s.SamplesPerProblem < 1)
            throw InputError.ArgumentAt($"{n} must be at least 1 (got {s.SamplesPerProblem})");
        if (s.MaxNewTokens < 1)
            throw InputError.ArgumentAt($"{sampling / "max_new_tokens"} must be at least 1 (got {s.MaxNewTokens})");
        if (s.BatchSize < 1)
            throw InputError.ArgumentAt($"{sampling / "batch_size"} must be at least 1 (got {s.BatchSize})");
        if (s.Temperature is double t && !(t > 0 && double.IsFinite(t)))
            throw InputError.ArgumentAt($"{temperature} must be > 0 (got {t})");
        if (!(s.TopP > 0 && s.TopP <= 1))
            throw InputError.ArgumentAt($"{sampling / "top_p"} must be in (0, 1] (got {s.TopP})");
        if (s.Temperature is null && s.SamplesPerProblem > 1)
            throw InputError.ArgumentAt($"{n} > 1 needs {temperature} (greedy gives one sample)");
        if (!(TimeoutSeconds > 0 && double.IsFinite(TimeoutSeconds)))
            throw InputError.ArgumentAt($"{at / "timeout_seconds"} must be > 0 seconds (got {TimeoutSeconds})");
        if (MemoryMb < 16)
            throw InputError.ArgumentAt($"{at / "memory_mb"} must be at least 16 (got {MemoryMb})");
        if (Parallel < 0)
            throw InputError.ArgumentAt($"{at / "parallel"} must be 0 (CPU count) or more (got {Parallel})");
        var (model, problems, samples) = (at / "model", at / "problems", at / "samples");
        if (Samples is null && (Model is null || Problems is null))
            throw Domain == EvalDomain.Math
                ? InputError.ArgumentAt($"give {model} and {problems}, or {samples}")
                : InputError.ArgumentAt($"give {model} or {samples}");
        if (Problems is not null && !File.Exists(Problems))
            throw InputError.MissingFileAt($"{problems} {Problems}: no such file", Problems);
        if (Samples is not null && !File.Exists(Samples))
            throw InputError.MissingFileAt($"{samples} {Samples}: no such file", Samples);
    }
}
