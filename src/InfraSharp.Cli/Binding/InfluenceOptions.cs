using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options that several influence records share (<see cref="FactorArguments"/>, <see cref="ScoreArguments"/>,
/// <see cref="PlanArguments"/>, <see cref="Index.IndexArguments"/>, <see cref="Validation.LdsEvaluation"/>), each
/// declared once here: a binder passes the default of its own record, since the records' defaults differ (MLP
/// modules for an index and the LDS, all modules for factors).
/// </summary>
public static class InfluenceOptions
{
    public static Option<ModuleSelection> Modules(ModuleSelection defaultValue, string? description = null) =>
        CliOptions.Parsed(
            "--modules",
            description ?? "Tracked Linear layers: all | mlp | attn | a regex over module names",
            defaultValue
        );

    public static Option<StrategyKind> Strategy(StrategyKind defaultValue) =>
        CliOptions.Enum("--strategy", "Influence strategy", defaultValue);

    public static Option<int> TokensPerBatch(int defaultValue, string description = "Padded tokens per batch") =>
        CliOptions.Int("--tokens-per-batch", description, defaultValue);

    public static Option<int> ModulePartitions(int defaultValue) =>
        CliOptions.Int(
            "--module-partitions",
            "Groups of modules processed one at a time (a pass over the data each), "
                + "so only one group's statistics are resident",
            defaultValue
        );

    public static Option<int> ChunkSize(
        int defaultValue,
        string description = "Training examples per resumable chunk"
    ) => CliOptions.Int("--chunk-size", description, defaultValue);

    public static Option<int> QueryRank(int defaultValue) =>
        CliOptions.Int(
            "--query-rank",
            "Keep preconditioned query gradients at rank R (randomized SVD; 0: full)",
            defaultValue,
            min: 0
        );

    public static Option<Measurement> Measurement(Measurement defaultValue, string? description = null) =>
        CliOptions.Enum(
            "--measurement",
            description ?? "loss (summed query loss) or mean-logprob (Infra's mean log-likelihood of the answers)",
            defaultValue
        );

    public static Option<double?> Damping(string? description = null) =>
        CliOptions.OptionalDouble(
            "--damping",
            description
                ?? "Damping added to the eigenvalues "
                    + "(default: 0.1 x their mean per module; 1e-8 = kronfluence's default)",
            0
        );

    public static Option<long?> MaxMemory(
        string description = "Memory bound, e.g. 16GiB or 512M (sets the tokens per batch)"
    ) => CliOptions.Bytes("--max-memory", description);

    public static Option<ComputeDType> DType(ComputeDType defaultValue) => CliOptions.DType(defaultValue);

    public static Option<ComputeDType> StatisticsDType(ComputeDType defaultValue) =>
        CliOptions.StatisticsDType(defaultValue);
}
