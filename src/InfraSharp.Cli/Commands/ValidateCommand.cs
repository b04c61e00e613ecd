using System.CommandLine;
using InfraSharp.Influence;
using InfraSharp.Reporting;
using InfraSharp.Storage;
using InfraSharp.Validation;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra validate lds</c>: does a strategy's influence predict what retraining on subsets does?</summary>
public static class ValidateCommand
{
    public static Command Build()
    {
        var cmd = new Command("validate", "Check that influence scores predict retraining outcomes.");
        cmd.Subcommands.Add(Lds());
        return cmd;
    }

    private static Command Lds()
    {
        var model = CliOptions.Path(
            "--model",
            "Model folder written by infra train (its training_args.json says how to retrain)"
        );
        var train = CliOptions.Path("--train", "Training rows the subsets are drawn from (the model's training data)");
        var queries = CliOptions.Path("--queries", "Query rows whose measurements the retrained models are checked on");
        var output = CliOptions.Path(
            "--out",
            "LDS folder: subsets, retrainings, measurements, lds.csv, summary.md, report.html"
        );
        var strategies = new Option<string>("--strategies")
        {
            Description =
                "Comma-separated strategies scored on the model "
                + "(identity, diagonal, kfac, ekfac; 'none' for only --scores)",
            DefaultValueFactory = _ => "identity,diagonal,kfac,ekfac",
        };
        var scores = new Option<string[]>("--scores")
        {
            Description = "Pairwise score folders computed elsewhere to compare too (repeatable)",
            AllowMultipleArgumentsPerToken = true,
        };
        var subsets = CliOptions.Int("--subsets", "Random training subsets N", 32, min: 2);
        var fraction = CliOptions.Double(
            "--fraction",
            "Fraction α of the training rows in each subset",
            0.5,
            0,
            exclusiveMin: true,
            max: 1
        );
        var seeds = CliOptions.Int("--seeds", "Trainings per subset K (data-order seeds), averaged", 1);
        var seed = CliOptions.Long("--seed", "Seed of the subsets' draw", 0);
        var modules = new Option<string>("--modules")
        {
            Description = "Modules the strategies track",
            DefaultValueFactory = _ => "mlp",
        };
        var measurement = CliOptions.Enum(
            "--measurement",
            "What the strategies' scores measure: mean-logprob (Infra's f) or loss",
            Measurement.MeanLogProb
        );
        var tokens = CliOptions.Int(
            "--tokens-per-batch",
            "Padded tokens per batch of the strategies' factor and score runs",
            4096
        );
        var partition = CliOptions.PartitionOption(
            "i/n: run one share of the subset retrainings (the last share computes the table)"
        );
        var (overwrite, device) = (CliOptions.Overwrite(), CliOptions.Device());
        var cmd = new Command(
            "lds",
            "Linear datamodeling score: retrain on random subsets and check whether each strategy's summed "
                + "scores rank the retrained models' query measurements."
        )
        {
            model,
            train,
            queries,
            output,
            strategies,
            scores,
            subsets,
            fraction,
            seeds,
            seed,
            modules,
            measurement,
            tokens,
            partition,
            overwrite,
            device,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                string list = p.GetValue(strategies)!;
                var names =
                    list == "none"
                        ? []
                        : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                var args = new LdsRunArguments
                {
                    Model = p.GetValue(model)!,
                    Train = p.GetValue(train)!,
                    Queries = p.GetValue(queries)!,
                    Subsets = p.GetValue(subsets),
                    Fraction = p.GetValue(fraction),
                    Seeds = p.GetValue(seeds),
                    Seed = p.GetValue(seed),
                };
                var evaluation = new LdsEvaluation
                {
                    Strategies = names,
                    Scores = p.GetValue(scores) ?? [],
                    Modules = p.GetValue(modules)!,
                    Measurement = p.GetValue(measurement),
                    TokensPerBatch = p.GetValue(tokens),
                };
                string outDir = p.GetValue(output)!;
                var run = CliRunner.Options with
                {
                    Partition = p.GetValue(partition)!,
                    Overwrite = p.GetValue(overwrite),
                    Device = p.GetValue(device)!,
                };
                var r = LdsRun.Run(args, evaluation, outDir, run);
                if (!r.Complete)
                {
                    Console.Error.WriteLine(r.Message);
                    return 0;
                }
                LdsReport.Write(outDir);
                Console.WriteLine(r.Message);
                Console.WriteLine($"report: {Path.Combine(outDir, LdsReport.FileName)}");
                return 0;
            })
        );
        return cmd;
    }
}
