using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Binding;

/// <summary>The options of <see cref="FactorArguments"/> (how factors are fitted), with its defaults.</summary>
public sealed class FactorArgumentsBinder : ArgumentsBinder<FactorArguments>
{
    private static readonly FactorArguments Defaults = new();

    public Option<StrategyKind> Strategy { get; }
    public Option<FisherMode> Fisher { get; }
    public Option<ModuleSelection> Modules { get; }
    public Option<long> Seed { get; }
    public Option<int> MaxExamples { get; }
    public Option<int> TokensPerBatch { get; }
    public Option<int> ModulePartitions { get; }
    public Option<ComputeDType> StatisticsDType { get; }

    public FactorArgumentsBinder()
    {
        Strategy = Sets("strategy", InfluenceOptions.Strategy(Defaults.Strategy));
        Fisher = Sets(
            "fisher",
            CliOptions.Enum(
                "--fisher",
                "empirical (true labels) or sampled (labels drawn from the model, seeded)",
                Defaults.Fisher
            )
        );
        Modules = Sets("modules", InfluenceOptions.Modules(Defaults.Modules));
        Seed = Sets("seed", CliOptions.Long("--seed", "Seed of the sampled Fisher", Defaults.Seed));
        MaxExamples = Sets(
            "max_examples",
            CliOptions.Int("--max-examples", "Fit on at most this many examples (0: all)", Defaults.MaxExamples, min: 0)
        );
        TokensPerBatch = Sets("tokens_per_batch", InfluenceOptions.TokensPerBatch(Defaults.TokensPerBatch));
        ModulePartitions = Sets("module_partitions", InfluenceOptions.ModulePartitions(Defaults.ModulePartitions));
        StatisticsDType = Sets("statistics_dtype", InfluenceOptions.StatisticsDType(Defaults.StatisticsDType));
    }

    public override FactorArguments Bind(ParseResult result) =>
        new()
        {
            Strategy = result.GetValue(Strategy),
            Fisher = result.GetValue(Fisher),
            Modules = result.GetValue(Modules),
            Seed = result.GetValue(Seed),
            MaxExamples = result.GetValue(MaxExamples),
            TokensPerBatch = result.GetValue(TokensPerBatch),
            ModulePartitions = result.GetValue(ModulePartitions),
            StatisticsDType = result.GetValue(StatisticsDType),
        };
}
