using System.CommandLine;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra data synth</c>: the seeded synthetic math/code reasoning corpus.</summary>
public static class DataCommand
{
    public static Command Build()
    {
        var cmd = new Command("data", "Datasets: generate the synthetic math/code reasoning corpus.");
        var output = new Option<string>("--out")
        {
            Description = "Output folder: train.jsonl, queries.jsonl, eval.jsonl, pool.jsonl",
            Required = true,
        };
        var seed = CliOptions.Int("--seed", "Seed (same seed, same bytes)", 1, min: 0);
        var size = CliOptions.Int("--size", "Training rows (spread evenly over domain x difficulty)", 1000, min: 10);
        var explore = CliOptions.Double("--explore-share", "Share of solutions with an exploratory step", 0.3, 0, 1);
        var queries = CliOptions.Int("--queries-per-cell", "Query rows per domain x difficulty", 4);
        var evals = CliOptions.Int(
            "--eval-per-cell",
            "Held-out eval rows per domain x difficulty (100: 500 per domain)",
            100
        );
        var poolFactor = CliOptions.Int(
            "--pool-factor",
            "Pool rows (pool.jsonl, for curate --pool) per training row; 0: no pool",
            3,
            min: 0
        );
        var overwrite = CliOptions.Overwrite("Replace the split files if the folder holds them already");
        var synth = new Command(
            "synth",
            "Math word problems and Python tasks at difficulty 1-5 with chain-of-thought solutions, split "
                + "train/query/eval."
        )
        {
            output,
            seed,
            size,
            explore,
            queries,
            evals,
            poolFactor,
            overwrite,
        };
        synth.SetAction(p =>
            CliRunner.Run(() =>
            {
                SyntheticDataset.CheckOutput(p.GetValue(output)!, p.GetValue(overwrite));
                var splits = SyntheticDataset.Generate(
                    new SyntheticDataset.Options
                    {
                        Seed = p.GetValue(seed),
                        Size = p.GetValue(size),
                        ExploreShare = p.GetValue(explore),
                        QueriesPerCell = p.GetValue(queries),
                        EvalPerCell = p.GetValue(evals),
                        PoolFactor = p.GetValue(poolFactor),
                    }
                );
                Storage.OutputFolder.Create(p.GetValue(output)!);
                SyntheticDataset.Write(p.GetValue(output)!, splits);
                Console.Error.WriteLine(
                    $"wrote {splits.Train.Count} train, {splits.Queries.Count} query, {splits.Eval.Count} eval, "
                        + $"{splits.Pool.Count} pool rows "
                        + $"to {p.GetValue(output)}"
                );
                return 0;
            })
        );
        cmd.Subcommands.Add(synth);
        return cmd;
    }
}
