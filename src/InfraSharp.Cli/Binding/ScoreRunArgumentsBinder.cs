using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Influence;
using InfraSharp.Models;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of <see cref="ScoreRunArguments"/> of one kind: model, factors, training rows, queries (pairwise),
/// a strategy override, the model's dtype, a memory bound and (under <c>score</c>) those of
/// <see cref="ScoreArgumentsBinder"/>.
/// </summary>
public sealed class ScoreRunArgumentsBinder : ArgumentsBinder<ScoreRunArguments>
{
    private static readonly ScoreRunArguments Defaults = new() { Model = "", Train = "" };
    private readonly ScoreKind _kind;

    public Option<string> Model { get; }
    public Option<string?> Factors { get; }
    public Option<string> Train { get; }
    public Option<string> Queries { get; }
    public Option<StrategyKind?> Strategy { get; }
    public Option<ComputeDType> DType { get; }
    public Option<long?> MaxMemory { get; }
    public ScoreArgumentsBinder Score { get; }

    public ScoreRunArgumentsBinder(ScoreKind kind)
    {
        _kind = kind;
        Score = new ScoreArgumentsBinder(kind);
        Model = Sets("model", CliOptions.Path("--model", "Model folder (must be the one the factors were fitted on)"));
        Factors = Sets(
            "factors",
            CliOptions.OptionalPath(
                "--factors",
                "Factor folder (not needed for --strategy identity; not taken by the baselines random, repsim, bm25)"
            )
        );
        Train = Sets("train", CliOptions.Path("--train", "Training rows to score"));
        Queries = CliOptions.Path("--queries", "Query rows");
        if (kind == ScoreKind.Pairwise)
            Sets("queries", Queries);
        Strategy = Sets(
            "strategy",
            CliOptions.OptionalEnum<StrategyKind>(
                "--strategy",
                "Override the factors' strategy (one whose factors are present), or one of the " + BaselineScores.Help
            )
        );
        Nest("score", Score);
        MaxMemory = Sets("max_memory_bytes", InfluenceOptions.MaxMemory());
        DType = Sets("dtype", InfluenceOptions.DType(Defaults.DType));
    }

    public override ScoreRunArguments Bind(ParseResult result) =>
        new()
        {
            Kind = _kind,
            Model = result.GetValue(Model)!,
            Factors = result.GetValue(Factors),
            Train = result.GetValue(Train)!,
            Queries = _kind == ScoreKind.Pairwise ? result.GetValue(Queries) : null,
            Strategy = result.GetValue(Strategy),
            Score = Score.Bind(result),
            DType = result.GetValue(DType),
            MaxMemoryBytes = result.GetValue(MaxMemory),
        };
}
