using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Influence;
using InfraSharp.Launch;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of <see cref="LaunchArguments"/>, which both launchers take: the factor run's
/// (<see cref="FactorRunArgumentsBinder"/>) and, with <c>--queries</c>, the pairwise score run's
/// (<see cref="ScoreArgumentsBinder"/>, sharing the options both records have), the data partitions, the
/// resources per task and how the nodes run infra. Paths are made absolute unless they are another machine's
/// (<paramref name="keepPaths"/>: a pod's paths under its mount).
/// </summary>
public sealed class LaunchArgumentsBinder : ArgumentsBinder<LaunchArguments>
{
    private static readonly LaunchArguments Defaults = new()
    {
        Factors = new() { Model = "", Data = "" },
        Out = "",
        InfraCommand = "",
    };
    private readonly Func<string> _defaultInfra;
    private readonly bool _keepPaths;

    public FactorRunArgumentsBinder Factors { get; } =
        new(
            "Model folder (on the shared file system)",
            "Training rows: factors are fitted on them and they are scored"
        );
    public ScoreArgumentsBinder Score { get; }
    public Option<string?> Queries { get; }
    public Option<string> Out { get; }
    public Option<int> DataPartitions { get; }
    public Option<string> Device { get; }
    public Option<int> Cpus { get; }
    public Option<string> Memory { get; }
    public Option<int> Gpus { get; }
    public Option<string> Time { get; }
    public Option<string?> InfraCommand { get; }

    public LaunchArgumentsBinder(Func<string> defaultInfra, bool keepPaths)
    {
        (_defaultInfra, _keepPaths) = (defaultInfra, keepPaths);
        var fit = Factors.Fit;
        fit.Seed.Description = "Seed of the sampled Fisher and the query factorisation";
        fit.ModulePartitions.Description = "Module groups (the eigendecomposition step has one task each)";
        Factors.MaxMemory.Description = "Memory bound per task (sets the tokens per batch)";
        Score = new ScoreArgumentsBinder(ScoreKind.Pairwise, shared: fit);
        Queries = CliOptions.OptionalPath("--queries", "Query rows: adds the pairwise scores steps");
        Nest("factors", Factors);
        Sets("scores.model", Factors.Model);
        Sets("scores.train", Factors.Data);
        Sets("scores.queries", Queries);
        Out = Sets("out", CliOptions.Path("--out", "Shared output folder: factors/, scores/, launch/"));
        Nest("scores.score", Score);
        Sets("scores.dtype", Factors.DType);
        Sets("scores.max_memory_bytes", Factors.MaxMemory);
        DataPartitions = Sets(
            "data_partitions",
            CliOptions.Int(
                "--data-partitions",
                "Tasks per data step (covariance, lambda, scores)",
                Defaults.DataPartitions
            )
        );
        Device = Sets("device", CliOptions.Device());
        var r = Defaults.Resources;
        Cpus = Sets("resources.cpus", CliOptions.Int("--cpus", "CPUs per task", r.Cpus));
        Memory = Sets(
            "resources.memory",
            new Option<string>("--mem")
            {
                DefaultValueFactory = _ => r.Memory,
                Description = $"Memory per task ({r.Memory})",
            }
        );
        Gpus = Sets("resources.gpus", CliOptions.Int("--gpus", "GPUs per task", r.Gpus, min: 0));
        Time = Sets(
            "resources.time",
            new Option<string>("--time")
            {
                DefaultValueFactory = _ => r.Time,
                Description = "Time limit per task (Slurm)",
            }
        );
        InfraCommand = Sets("infra_command", CliOptions.OptionalPath("--infra-command", "How the nodes run infra"));
    }

    public override LaunchArguments Bind(ParseResult result)
    {
        var factors = Factors.Bind(result);
        if (!_keepPaths)
            factors = factors.Normalized();
        ScoreRunArguments? scores = result.GetValue(Queries) is string q
            ? new ScoreRunArguments
            {
                Model = factors.Model,
                Train = factors.Data,
                Queries = _keepPaths ? q : Path.GetFullPath(q),
                MaxMemoryBytes = factors.MaxMemoryBytes,
                DType = factors.DType,
                Score = Score.Bind(result),
            }
            : null;
        string outDir = result.GetValue(Out)!;
        return new LaunchArguments
        {
            Factors = factors,
            Scores = scores,
            Out = _keepPaths ? outDir : Path.GetFullPath(outDir),
            DataPartitions = result.GetValue(DataPartitions),
            Device = result.GetValue(Device)!,
            InfraCommand = result.GetValue(InfraCommand) ?? _defaultInfra(),
            Resources = Defaults.Resources with
            {
                Cpus = result.GetValue(Cpus),
                Memory = result.GetValue(Memory)!,
                Gpus = result.GetValue(Gpus),
                Time = result.GetValue(Time)!,
            },
        };
    }
}
