using System.CommandLine;
using InfraSharp.Demo;
using InfraSharp.Storage;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra demo</c>: the whole method on its embedded default, on a laptop CPU (<see cref="DemoRun"/>): synthetic
/// data, a tiny model trained from scratch, influence, report, curation, retraining and the before/after table.
/// </summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--out")
        {
            Description = "Output folder",
            DefaultValueFactory = _ => "demo-out",
        };
        var quick = new Option<bool>("--quick") { Description = "A smaller run (about a third of the time)" };
        var seed = CliOptions.Int("--seed", "Seed of data, initialisation and order", 1, min: 0);
        var seeds = CliOptions.Int(
            "--seeds",
            "Repeat the before/after trainings over this many seeds (mean and spread)",
            1
        );
        var device = CliOptions.Device();
        var cmd = new Command(
            "demo",
            "Run the Infra method end to end on the embedded default: synthetic data, a tiny model trained from "
                + "scratch, influence attribution, report, curation, retraining and the before/after table."
        )
        {
            output,
            quick,
            seed,
            seeds,
            device,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var arguments = (p.GetValue(quick) ? DemoRunArguments.Quick : DemoRunArguments.Full) with
                {
                    Seed = p.GetValue(seed),
                    Seeds = p.GetValue(seeds),
                };
                var result = DemoRun.Run(
                    arguments,
                    p.GetValue(output)!,
                    CliRunner.Options with
                    {
                        // The demo has always replaced an earlier demo of other settings in its folder (only what a
                        // demo writes; anything else there makes it refuse); the same settings resume.
                        Overwrite = true,
                        Device = p.GetValue(device)!,
                    }
                );
                Console.WriteLine();
                Console.Write(result.ToMarkdown());
                return 0;
            })
        );
        return cmd;
    }
}
