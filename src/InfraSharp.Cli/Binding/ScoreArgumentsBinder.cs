using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of <see cref="ScoreArguments"/> (how scores are computed), with its defaults. Self scores take no
/// queries, so the query options (<c>--per-token</c>, <c>--query-rank</c>, <c>--aggregate-queries</c>, <c>--seed</c>
/// of the query factorisation) are declared for pairwise scores only and bound to the record's defaults otherwise;
/// <c>--measurement</c> is declared for both (self scores of queries under their measurement are the scale of the
/// normalised reading). Beside a <see cref="FactorArgumentsBinder"/> (a launched chain) the
/// options both records have (seed, tokens per batch, module partitions, statistics dtype) are that binder's: one
/// flag sets both.
/// </summary>
public sealed class ScoreArgumentsBinder : ArgumentsBinder<ScoreArguments>
{
    private static readonly ScoreArguments Defaults = new();
    private readonly bool _pairwise;

    public Option<double?> Damping { get; }
    public Option<Measurement> Measurement { get; }
    public Option<bool> AggregateQueries { get; }
    public Option<bool> PerToken { get; }
    public Option<int> QueryRank { get; }
    public Option<int> TokensPerBatch { get; }
    public Option<int> ChunkSize { get; }
    public Option<long> Seed { get; }
    public Option<int> ModulePartitions { get; }
    public Option<ComputeDType> StatisticsDType { get; }
    public Option<Precision> Precision { get; }

    public ScoreArgumentsBinder(ScoreKind kind, FactorArgumentsBinder? shared = null)
    {
        _pairwise = kind == ScoreKind.Pairwise;
        Damping = Sets("damping", InfluenceOptions.Damping());
        Measurement = InfluenceOptions.Measurement(Defaults.Measurement);
        AggregateQueries = new Option<bool>("--aggregate-queries")
        {
            Description = "Score against the query set as one target",
        };
        PerToken = new Option<bool>("--per-token") { Description = "Also split each score over the training tokens" };
        QueryRank = InfluenceOptions.QueryRank(Defaults.QueryRank);
        Seed = shared?.Seed
            ?? CliOptions.Long(
                "--seed",
                "Seed of the query gradients' factorisation (with --query-rank) and of --strategy random's scores",
                Defaults.Seed
            );
        Sets("measurement", Measurement);
        if (_pairwise)
        {
            Sets("per_token", PerToken);
            Sets("query_rank", QueryRank);
            Sets("aggregate_queries", AggregateQueries);
            Sets("seed", Seed);
        }
        TokensPerBatch = Sets(
            "tokens_per_batch",
            shared?.TokensPerBatch ?? InfluenceOptions.TokensPerBatch(Defaults.TokensPerBatch)
        );
        ChunkSize = Sets("chunk_size", InfluenceOptions.ChunkSize(Defaults.ChunkSize));
        ModulePartitions = Sets(
            "module_partitions",
            shared?.ModulePartitions ?? InfluenceOptions.ModulePartitions(Defaults.ModulePartitions)
        );
        StatisticsDType = Sets(
            "statistics_dtype",
            shared?.StatisticsDType ?? InfluenceOptions.StatisticsDType(Defaults.StatisticsDType)
        );
        Precision = Sets(
            "precision",
            CliOptions.Enum("--precision", "Dtype of the preconditioner's rotations", Defaults.Precision)
        );
    }

    public override ScoreArguments Bind(ParseResult result) =>
        new()
        {
            Damping = result.GetValue(Damping),
            Measurement = result.GetValue(Measurement),
            AggregateQueries = _pairwise ? result.GetValue(AggregateQueries) : Defaults.AggregateQueries,
            PerToken = _pairwise ? result.GetValue(PerToken) : Defaults.PerToken,
            QueryRank = _pairwise ? result.GetValue(QueryRank) : Defaults.QueryRank,
            TokensPerBatch = result.GetValue(TokensPerBatch),
            ChunkSize = result.GetValue(ChunkSize),
            Seed = _pairwise ? result.GetValue(Seed) : Defaults.Seed,
            ModulePartitions = result.GetValue(ModulePartitions),
            StatisticsDType = result.GetValue(StatisticsDType),
            Precision = result.GetValue(Precision),
        };
}
