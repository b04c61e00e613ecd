using System.CommandLine;
using InfraSharp.Cli.Binding;
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
        var runBinder = new LdsRunArgumentsBinder();
        var evaluationBinder = new LdsEvaluationBinder();
        var output = CliOptions.Path(
            "--out",
            "LDS folder: subsets, retrainings, measurements, lds.csv, summary.md, report.html"
        );
        var partition = CliOptions.PartitionOption(
            "i/n: run one share of the subset retrainings (the last share computes the table)"
        );
        var (overwrite, device) = (CliOptions.Overwrite(), CliOptions.Device());
        var cmd = new Command(
            "lds",
            "Linear datamodeling score: retrain on random subsets and check whether each strategy's summed "
                + "scores rank the retrained models' query measurements."
        );
        runBinder.AddTo(cmd);
        cmd.Options.Add(output);
        evaluationBinder.AddTo(cmd);
        foreach (Option o in new Option[] { partition, overwrite, device })
            cmd.Options.Add(o);
        var flags = runBinder.Flags.Concat(evaluationBinder.Flags).ToDictionary();
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var args = runBinder.Bind(p);
                    var evaluation = evaluationBinder.Bind(p);
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
                },
                flags: flags
            )
        );
        return cmd;
    }
}
