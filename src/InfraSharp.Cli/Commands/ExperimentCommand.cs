using System.CommandLine;
using InfraSharp.Experiment;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra experiment</c>: K seeds x the curated mixes, every one drawn from the same pool, retrained and compared
/// with random rows of that pool and with the original (<see cref="ExperimentRun"/>).
/// </summary>
public static class ExperimentCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--out")
        {
            Description = "Output folder: experiment.csv, paired.csv, claims.md, report.html and every stage's folder",
            DefaultValueFactory = _ => "experiment-out",
        };
        var quick = new Option<bool>("--quick")
        {
            Description = "The quick demo's data and model with 3 seeds (minutes; for trying the command)",
        };
        var seed = CliOptions.Int(
            "--seed",
            "Seed of data, initialisation and order; seeds S..S+K-1 retrain",
            1,
            min: 0
        );
        var seeds = new Option<int?>("--seeds")
        {
            Description =
                "K: retrain every mix over this many seeds (default 5; --quick: 3); under 3, no cell is "
                + "marked distinguishable",
        };
        var partition = CliOptions.PartitionOption(
            "i/n: run one share of the retrainings (the partition that completes them writes the tables)"
        );
        var (overwrite, device) = (CliOptions.Overwrite(), CliOptions.Device());
        var cmd = new Command(
            "experiment",
            "Retrain every curated mix (flip-difficulty, attribute-influence, influence-top by EK-FAC, repsim-top, "
                + "bm25-top) and random rows, all drawn from one pool with the original's rows and token budget, over "
                + "K seeds; compare each with random and with the original, and give the paper's claims verdicts."
        )
        {
            output,
            quick,
            seed,
            seeds,
            partition,
            overwrite,
            device,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var setup = p.GetValue(quick) ? ExperimentRunArguments.QuickSetup : ExperimentRunArguments.DefaultSetup;
                setup = setup with { Seed = p.GetValue(seed), Seeds = p.GetValue(seeds) ?? setup.Seeds };
                var result = ExperimentRun.Run(
                    new ExperimentRunArguments { Setup = setup },
                    p.GetValue(output)!,
                    CliRunner.Options with
                    {
                        Partition = p.GetValue(partition)!,
                        Overwrite = p.GetValue(overwrite),
                        Device = p.GetValue(device)!,
                    }
                );
                if (!result.Complete)
                {
                    Console.Error.WriteLine(result.Message);
                    return 0;
                }
                Console.WriteLine();
                Console.Write(result.ToMarkdown());
                return 0;
            })
        );
        return cmd;
    }
}
