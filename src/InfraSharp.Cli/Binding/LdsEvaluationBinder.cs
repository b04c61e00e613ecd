using System.CommandLine;
using InfraSharp.Influence;
using InfraSharp.Validation;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of <see cref="LdsEvaluation"/> (what an LDS folder's measurements are compared with), with its
/// defaults: the strategies as one comma-separated list (<c>none</c>: only the given score folders).
/// </summary>
public sealed class LdsEvaluationBinder : ArgumentsBinder<LdsEvaluation>
{
    private static readonly LdsEvaluation Defaults = new();

    public Option<StrategyKind[]> Strategies { get; }
    public Option<string[]> Scores { get; }
    public Option<ModuleSelection> Modules { get; }
    public Option<Measurement> Measurement { get; }
    public Option<int> TokensPerBatch { get; }

    public LdsEvaluationBinder()
    {
        string defaults = string.Join(",", Defaults.Strategies.Select(EnumNames.Of));
        Strategies = Sets(
            "strategies",
            new Option<StrategyKind[]>("--strategies")
            {
                Description =
                    "Comma-separated strategies scored on the model "
                    + $"({string.Join(", ", EnumNames.All<StrategyKind>().Keys)}; 'none' for only --scores)",
                DefaultValueFactory = _ => [.. Defaults.Strategies],
                Arity = ArgumentArity.ExactlyOne,
                CustomParser = r =>
                {
                    string list = r.Tokens.Count == 1 ? r.Tokens[0].Value : defaults;
                    if (list == "none")
                        return [];
                    var kinds = new List<StrategyKind>();
                    foreach (
                        var name in list.Split(
                            ',',
                            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
                        )
                    )
                        try
                        {
                            kinds.Add(InfluenceStrategy.Parse(name));
                        }
                        catch (InputArgumentException e)
                        {
                            r.AddError(e.Message);
                        }
                    return [.. kinds];
                },
            }
        );
        Scores = Sets(
            "scores",
            new Option<string[]>("--scores")
            {
                Description = "Pairwise score folders computed elsewhere to compare too (repeatable)",
                AllowMultipleArgumentsPerToken = true,
            }
        );
        Modules = Sets("modules", InfluenceOptions.Modules(Defaults.Modules, "Modules the strategies track"));
        Measurement = Sets(
            "measurement",
            InfluenceOptions.Measurement(
                Defaults.Measurement,
                "What the strategies' scores measure: mean-logprob (Infra's f) or loss"
            )
        );
        TokensPerBatch = Sets(
            "tokens_per_batch",
            InfluenceOptions.TokensPerBatch(
                Defaults.TokensPerBatch,
                "Padded tokens per batch of the strategies' factor and score runs"
            )
        );
    }

    public override LdsEvaluation Bind(ParseResult result) =>
        new()
        {
            Strategies = result.GetValue(Strategies) ?? [],
            Scores = result.GetValue(Scores) ?? [],
            Modules = result.GetValue(Modules),
            Measurement = result.GetValue(Measurement),
            TokensPerBatch = result.GetValue(TokensPerBatch),
        };
}
