using System.CommandLine;
using InfraSharp.Cli.Binding;
using InfraSharp.Influence;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra factors</c>, <c>infra scores pairwise|self</c>, <c>infra merge</c>: options mapped onto the
/// runs.</summary>
public static class InfluenceCommands
{
    public static Command Factors()
    {
        var binder = new FactorRunArgumentsBinder();
        var output = CliOptions.Path("--out", "Factor folder");
        var partition = CliOptions.PartitionOption(
            "i/n: one share of the stage (data stages: a range of batches; eigen: a range of modules)"
        );
        var stage = CliOptions.Enum(
            "--stage",
            "Run one stage only (for schedulers), or all that the strategy needs",
            FactorStage.All
        );
        var overwrite = CliOptions.Overwrite();
        var device = CliOptions.Device();
        var modulePartition = CliOptions.PartitionOption(
            "g/K: the eigen stage's module group (the same as --partition there; auto for a scheduler's array)",
            "--module-partition"
        );
        var cmd = new Command(
            "factors",
            "Fit influence factors: covariances, eigenbases (float64) and eigenvalue corrections, stage by stage, "
                + "resumable."
        );
        binder.AddTo(cmd);
        foreach (Option o in new Option[] { output, partition, stage, overwrite, device, modulePartition })
            cmd.Options.Add(o);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    // The eigen stage is split by module: --module-partition names that split where a scheduler
                    // sets it.
                    var share = p.GetValue(partition)!;
                    if (p.GetResult(modulePartition) is { Implicit: false })
                    {
                        if (p.GetValue(stage) != FactorStage.Eigen)
                            throw InputError.Argument("--module-partition applies to --stage eigen");
                        if (!share.IsWhole)
                            throw InputError.Argument("give --partition or --module-partition, not both");
                        share = p.GetValue(modulePartition)!;
                    }
                    var run = CliRunner.Options with
                    {
                        Partition = share,
                        Overwrite = p.GetValue(overwrite),
                        Device = p.GetValue(device)!,
                    };
                    var r = FactorRun.Run(binder.Bind(p), p.GetValue(output)!, run, p.GetValue(stage));
                    Console.Error.WriteLine(r.Message);
                    return 0;
                },
                flags: binder.Flags
            )
        );
        return cmd;
    }

    public static Command Scores()
    {
        var cmd = new Command(
            "scores",
            "Influence scores from fitted factors: pairwise (queries x train, optionally per token) or self."
        );
        cmd.Subcommands.Add(ScoresCommand(ScoreKind.Pairwise));
        cmd.Subcommands.Add(ScoresCommand(ScoreKind.Self));
        return cmd;
    }

    private static Command ScoresCommand(ScoreKind kind)
    {
        bool self = kind == ScoreKind.Self;
        var binder = new ScoreRunArgumentsBinder(kind);
        var output = CliOptions.Path("--out", "Score folder");
        var partition = CliOptions.PartitionOption(
            "i/n: score one range of the training data's batches (merged when all are done)"
        );
        var overwrite = CliOptions.Overwrite();
        var device = CliOptions.Device();
        var cmd = new Command(
            self ? "self" : "pairwise",
            self ? "Self-influence of every training example." : "Pairwise influence of training examples on queries."
        );
        binder.AddTo(cmd);
        foreach (Option o in new Option[] { output, partition, overwrite, device })
            cmd.Options.Add(o);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var run = CliRunner.Options with
                    {
                        Partition = p.GetValue(partition)!,
                        Overwrite = p.GetValue(overwrite),
                        Device = p.GetValue(device)!,
                    };
                    var r = ScoreRun.Run(binder.Bind(p), p.GetValue(output)!, run);
                    Console.Error.WriteLine(r.Message);
                    return 0;
                },
                flags: binder.Flags
            )
        );
        return cmd;
    }

    public static Command Merge()
    {
        var factors = CliOptions.OptionalPath(
            "--factors",
            "Factor folder whose partitions to merge (sums; the eigen stage: its module ranges)"
        );
        var scores = CliOptions.OptionalPath("--scores", "Score folder whose partitions to merge (concatenation)");
        var cmd = new Command("merge", "Combine partitions into exactly the single-run result.") { factors, scores };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                if (p.GetValue(factors) is null && p.GetValue(scores) is null)
                    throw InputError.Argument("give --factors or --scores");
                if (p.GetValue(factors) is string f)
                {
                    // Merging writes into the folder: only into a run folder of a kind that has partitions.
                    FactorFolder.Open(f);
                    Console.Error.WriteLine(FactorFiles.MergeAll(f));
                }
                if (p.GetValue(scores) is string s)
                {
                    ScoreFolder.Open(s, "--scores", ScoreKind.Pairwise, ScoreKind.Self);
                    Console.Error.WriteLine(ScoreFiles.MergeAll(s));
                }
                return 0;
            })
        );
        return cmd;
    }
}
