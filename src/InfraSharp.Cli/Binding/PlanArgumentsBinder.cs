using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Binding;

/// <summary>The options of <see cref="PlanArguments"/> (what a memory plan is made for), with its defaults.</summary>
public sealed class PlanArgumentsBinder : ArgumentsBinder<PlanArguments>
{
    private static readonly PlanArguments Defaults = new();

    public Option<ModuleSelection> Modules { get; }
    public Option<StrategyKind> Strategy { get; }
    public Option<int> TokensPerBatch { get; }
    public Option<int> SequenceLength { get; }
    public Option<int> Examples { get; }
    public Option<int> Queries { get; }
    public Option<int> QueryRank { get; }
    public Option<int?> ModulePartitions { get; }
    public Option<int> ChunkSize { get; }
    public Option<ComputeDType> DType { get; }
    public Option<ComputeDType> StatisticsDType { get; }
    public Option<long?> MaxMemory { get; }

    public PlanArgumentsBinder()
    {
        Modules = Sets("modules", InfluenceOptions.Modules(Defaults.Modules));
        Strategy = Sets("strategy", InfluenceOptions.Strategy(Defaults.Strategy));
        TokensPerBatch = Sets(
            "tokens_per_batch",
            InfluenceOptions.TokensPerBatch(
                Defaults.TokensPerBatch,
                "Padded tokens per batch (the most; lowered to fit --max-memory)"
            )
        );
        SequenceLength = Sets(
            "sequence_length",
            CliOptions.Int("--sequence-length", "Tokens per sequence", Defaults.SequenceLength)
        );
        Examples = Sets(
            "examples",
            CliOptions.Int("--examples", "Training examples (for FLOPs and score files)", Defaults.Examples, min: 0)
        );
        Queries = Sets(
            "queries",
            CliOptions.Int(
                "--queries",
                "Query examples scored against (0: plan the factors only)",
                Defaults.Queries,
                min: 0
            )
        );
        QueryRank = Sets(
            "query_rank",
            CliOptions.Int(
                "--query-rank",
                "Rank of the preconditioned query gradients (0: full)",
                Defaults.QueryRank,
                min: 0
            )
        );
        // No default: the planner chooses the fewest groups that fit the memory bound.
        var parts = new Option<int?>("--module-partitions")
        {
            Description = "Module groups (default: the fewest that fit --max-memory)",
            DefaultValueFactory = _ => Defaults.ModulePartitions,
        };
        parts.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int?>() is int k && k < 1)
                r.AddError($"--module-partitions must be at least 1 (got {k})");
        });
        ModulePartitions = Sets("module_partitions", parts);
        ChunkSize = Sets(
            "chunk_size",
            InfluenceOptions.ChunkSize(Defaults.ChunkSize, "Training examples per score chunk")
        );
        DType = Sets("dtype", InfluenceOptions.DType(Defaults.DType));
        StatisticsDType = Sets("statistics_dtype", InfluenceOptions.StatisticsDType(Defaults.StatisticsDType));
        MaxMemory = Sets("max_memory_bytes", InfluenceOptions.MaxMemory("Memory bound to fit, e.g. 16GiB"));
    }

    public override PlanArguments Bind(ParseResult result) =>
        new()
        {
            Modules = result.GetValue(Modules),
            Strategy = result.GetValue(Strategy),
            TokensPerBatch = result.GetValue(TokensPerBatch),
            SequenceLength = result.GetValue(SequenceLength),
            Examples = result.GetValue(Examples),
            Queries = result.GetValue(Queries),
            QueryRank = result.GetValue(QueryRank),
            ModulePartitions = result.GetValue(ModulePartitions),
            ChunkSize = result.GetValue(ChunkSize),
            DType = result.GetValue(DType),
            StatisticsDType = result.GetValue(StatisticsDType),
            MaxMemoryBytes = result.GetValue(MaxMemory),
        };
}
