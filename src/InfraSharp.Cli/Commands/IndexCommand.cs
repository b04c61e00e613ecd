using System.CommandLine;
using InfraSharp.Cli.Binding;
using InfraSharp.Index;
using InfraSharp.Storage;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra index build|query|verify</c>: the projected-gradient store, built once and queried in seconds.
/// </summary>
public static class IndexCommand
{
    public static Command Build()
    {
        var cmd = new Command("index", "A store of projected per-example gradients: build once, query in seconds.");
        cmd.Subcommands.Add(BuildCommand());
        cmd.Subcommands.Add(QueryCommand());
        cmd.Subcommands.Add(VerifyCommand());
        return cmd;
    }

    private static Command BuildCommand()
    {
        var binder = new IndexBuildRunArgumentsBinder();
        var output = CliOptions.Path("--out", "Index folder: shards, row tables, preconditioner, manifest");
        var partition = CliOptions.PartitionOption(
            "i/n: build one share of the rows (the last share lists the segment)"
        );
        var (overwrite, device) = (CliOptions.Overwrite(), CliOptions.Device());
        var cmd = new Command("build", "Project every training row's gradient once and store it in shards.");
        binder.AddTo(cmd);
        foreach (Option o in new Option[] { output, partition, overwrite, device })
            cmd.Options.Add(o);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var args = binder.Bind(p);
                    var run = CliRunner.Options with
                    {
                        Partition = p.GetValue(partition)!,
                        Overwrite = p.GetValue(overwrite),
                        Device = p.GetValue(device)!,
                    };
                    var r = IndexBuildRun.Run(args, p.GetValue(output)!, run);
                    Console.WriteLine(r.Message);
                    Console.WriteLine(
                        $"{r.Rows} rows in {r.Seconds:F1}s ({r.Rows / Math.Max(1e-9, r.Seconds):F1} rows/s), "
                            + $"dimension {r.Dimension}"
                    );
                    return 0;
                },
                flags: binder.Flags
            )
        );
        return cmd;
    }

    private static Command VerifyCommand()
    {
        var index = CliOptions.Path("--index", "Index folder written by infra index build");
        var cmd = new Command(
            "verify",
            "Check every shard block against its checksum, every row finite, and the preconditioner's files."
        )
        {
            index,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                string dir = p.GetValue(index)!;
                Console.WriteLine(IndexVerifier.Verify(dir).Message(dir));
                return 0;
            })
        );
        return cmd;
    }

    private static Command QueryCommand()
    {
        var binder = new IndexQueryRunArgumentsBinder();
        var output = CliOptions.Path("--out", "Output folder: top.jsonl (and scores.safetensors with --full-scores)");
        var device = CliOptions.Device();
        var cmd = new Command("query", "Score queries against an index: top-k proponents and opponents per query.");
        binder.AddTo(cmd);
        cmd.Options.Add(output);
        cmd.Options.Add(device);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var args = binder.Bind(p);
                    string outDir = p.GetValue(output)!;
                    var r = IndexQueryRun.Run(args, outDir, CliRunner.Options with { Device = p.GetValue(device)! });
                    Console.WriteLine($"{r.Queries} queries × {r.Rows} rows -> {Path.Combine(outDir, "top.jsonl")}");
                    // How to read top_scores: the measurement's sign and the reading they are in.
                    var reading = IndexQueryRun.Reading(args, r.Rows);
                    Console.WriteLine($"  {reading.Sign}");
                    Console.WriteLine($"  top_scores/bottom_scores: {reading.Readings}");
                    foreach (var (stage, seconds) in r.Stages)
                        Console.WriteLine($"  {stage, -22} {seconds, 8:F3}s");
                    Console.WriteLine(
                        $"  scan: {r.Scan.Bytes / 1e6:F1} MB at {r.Scan.GigabytesPerSecond:F2} GB/s, "
                            + $"{r.Scan.GflopsPerSecond:F1} GFLOP/s"
                    );
                    return 0;
                },
                flags: binder.Flags
            )
        );
        return cmd;
    }
}
