using System.CommandLine;
using InfraSharp.Cli.Commands;
using InfraSharp.Validation;

namespace InfraSharp.Cli.Binding;

/// <summary>
/// The options of <see cref="LdsRunArguments"/> (what an LDS folder's retrainings are), with its defaults.
/// </summary>
public sealed class LdsRunArgumentsBinder : ArgumentsBinder<LdsRunArguments>
{
    private static readonly LdsRunArguments Defaults = new()
    {
        Model = "",
        Train = "",
        Queries = "",
    };

    public Option<string> Model { get; }
    public Option<string> Train { get; }
    public Option<string> Queries { get; }
    public Option<int> Subsets { get; }
    public Option<double> Fraction { get; }
    public Option<int> Seeds { get; }
    public Option<long> Seed { get; }

    public LdsRunArgumentsBinder()
    {
        Model = Sets(
            "model",
            CliOptions.Path(
                "--model",
                "Model folder written by infra train (its training_args.json says how to retrain)"
            )
        );
        Train = Sets(
            "train",
            CliOptions.Path("--train", "Training rows the subsets are drawn from (the model's training data)")
        );
        Queries = Sets(
            "queries",
            CliOptions.Path("--queries", "Query rows whose measurements the retrained models are checked on")
        );
        Subsets = Sets("subsets", CliOptions.Int("--subsets", "Random training subsets N", Defaults.Subsets, min: 2));
        Fraction = Sets(
            "fraction",
            CliOptions.Double(
                "--fraction",
                "Fraction α of the training rows in each subset",
                Defaults.Fraction,
                0,
                exclusiveMin: true,
                max: 1
            )
        );
        Seeds = Sets(
            "seeds",
            CliOptions.Int("--seeds", "Trainings per subset K (data-order seeds), averaged", Defaults.Seeds)
        );
        Seed = Sets("seed", CliOptions.Long("--seed", "Seed of the subsets' draw", Defaults.Seed));
    }

    public override LdsRunArguments Bind(ParseResult result) =>
        new()
        {
            Model = result.GetValue(Model)!,
            Train = result.GetValue(Train)!,
            Queries = result.GetValue(Queries)!,
            Subsets = result.GetValue(Subsets),
            Fraction = result.GetValue(Fraction),
            Seeds = result.GetValue(Seeds),
            Seed = result.GetValue(Seed),
        };
}
