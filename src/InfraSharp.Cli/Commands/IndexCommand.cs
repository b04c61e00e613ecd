using System.CommandLine;
using InfraSharp.Index;
using InfraSharp.Influence;
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
        var model = CliOptions.Path("--model", "Model folder whose gradients are stored");
        var train = CliOptions.Path("--train", "Training rows to index (JSONL or Parquet)");
        var output = CliOptions.Path("--out", "Index folder: shards, row tables, preconditioner, manifest");
        var modules = new Option<string>("--modules")
        {
            Description = "Tracked Linear layers: mlp, attn, all or a regex",
            DefaultValueFactory = _ => "mlp",
        };
        var dims = new Option<string>("--projection-dim")
        {
            Description =
                "k_in = k_out per module (K), K_IN:K_OUT, 'full' (no projection), or selector=dims pairs "
                + "such as mlp=16,attn=8",
            DefaultValueFactory = _ => ProjectionSpec.Default,
        };
        var precondition = CliOptions.Choice(
            "--precondition",
            "Preconditioner fitted in the projected space",
            "ekfac",
            ["none", "diagonal", "kfac", "ekfac"]
        );
        var factors = CliOptions.OptionalPath(
            "--factors",
            "Factor folder of the same model: its covariances are projected instead of re-estimated"
        );
        var seed = CliOptions.Long("--seed", "Seed of the projection matrices", 0);
        var storeDType = CliOptions.Choice("--store-dtype", "Stored vector dtype", "float16", ["float16", "float32"]);
        var shardRows = CliOptions.Int("--shard-rows", "Rows per shard file", 65_536);
        var tokens = CliOptions.Int("--tokens-per-batch", "Padded tokens per batch", 4096);
        var append = new Option<bool>("--append") { Description = "Add --train to an existing index as a new segment" };
        var partition = CliOptions.PartitionOption(
            "i/n: build one share of the rows (the last share lists the segment)"
        );
        var (overwrite, device, dtype) = (CliOptions.Overwrite(), CliOptions.Device(), CliOptions.DType());
        var cmd = new Command("build", "Project every training row's gradient once and store it in shards.")
        {
            model,
            train,
            output,
            modules,
            dims,
            precondition,
            factors,
            seed,
            storeDType,
            shardRows,
            tokens,
            append,
            partition,
            overwrite,
            device,
            dtype,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var args = new IndexBuildRunArguments
                {
                    Train = p.GetValue(train)!,
                    Append = p.GetValue(append),
                    Index = new IndexArguments
                    {
                        Model = p.GetValue(model)!,
                        Modules = p.GetValue(modules)!,
                        ProjectionDim = p.GetValue(dims)!,
                        Precondition = p.GetValue(precondition)!,
                        Factors = p.GetValue(factors),
                        Seed = p.GetValue(seed),
                        StoreDType = p.GetValue(storeDType)!,
                        ShardRows = p.GetValue(shardRows),
                        TokensPerBatch = p.GetValue(tokens),
                        DType = p.GetValue(dtype),
                    },
                };
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
            })
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
        var index = CliOptions.Path("--index", "Index folder written by infra index build");
        var model = CliOptions.OptionalPath("--model", "Model folder (default: the one the index was built from)");
        var queries = CliOptions.Path("--queries", "Query rows (JSONL or Parquet)");
        var output = CliOptions.Path("--out", "Output folder: top.jsonl (and scores.safetensors with --full-scores)");
        var topK = CliOptions.Int("--top-k", "Proponents and opponents kept per query", 100);
        var filter = new Option<string[]>("--filter")
        {
            Description = "key=value on the training rows' attributes, such as domain=math (repeatable; all must hold)",
            AllowMultipleArgumentsPerToken = true,
        };
        var full = new Option<bool>("--full-scores") { Description = "Also write every score, [queries, rows]" };
        var measurement = CliOptions.Enum("--measurement", "What the query gradient differentiates", Measurement.Loss);
        var precondition = CliOptions.OptionalChoice(
            "--precondition",
            "Another preconditioner than the index's, among those its factors serve (ekfac also serves kfac and none)",
            ["none", "diagonal", "kfac", "ekfac"]
        );
        var damping = CliOptions.OptionalDouble("--damping", "Added to the eigenvalues (default 0.1 × their mean)", 0);
        var device = CliOptions.Device();
        var cmd = new Command("query", "Score queries against an index: top-k proponents and opponents per query.")
        {
            index,
            model,
            queries,
            output,
            topK,
            filter,
            full,
            measurement,
            precondition,
            damping,
            device,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var args = new IndexQueryRunArguments
                {
                    Index = p.GetValue(index)!,
                    Model = p.GetValue(model),
                    Queries = p.GetValue(queries)!,
                    TopK = p.GetValue(topK),
                    Filters = p.GetValue(filter) ?? [],
                    FullScores = p.GetValue(full),
                    Measurement = p.GetValue(measurement),
                    Damping = p.GetValue(damping),
                    Precondition = p.GetValue(precondition),
                };
                string outDir = p.GetValue(output)!;
                var r = IndexQueryRun.Run(args, outDir, CliRunner.Options with { Device = p.GetValue(device)! });
                Console.WriteLine($"{r.Queries} queries × {r.Rows} rows -> {Path.Combine(outDir, "top.jsonl")}");
                foreach (var (stage, seconds) in r.Stages)
                    Console.WriteLine($"  {stage, -22} {seconds, 8:F3}s");
                Console.WriteLine(
                    $"  scan: {r.Scan.Bytes / 1e6:F1} MB at {r.Scan.GigabytesPerSecond:F2} GB/s, "
                        + $"{r.Scan.GflopsPerSecond:F1} GFLOP/s"
                );
                return 0;
            })
        );
        return cmd;
    }
}
