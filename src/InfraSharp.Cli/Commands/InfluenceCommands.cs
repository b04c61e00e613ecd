using System.CommandLine;
using InfraSharp.Influence;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra factors</c>, <c>infra scores pairwise|self</c>, <c>infra merge</c>: options mapped onto the runs.</summary>
public static class InfluenceCommands
{
    private static Option<long?> MaxMemory() =>
        CliOptions.Bytes("--max-memory", "Memory bound, e.g. 16GiB or 512M (sets the tokens per batch)");

    private static Option<int> ModulePartitions() =>
        CliOptions.Int(
            "--module-partitions",
            "Groups of modules processed one at a time (a pass over the data each), so only one group's statistics are resident",
            1
        );

    public static Command Factors()
    {
        var model = CliOptions.Path("--model", "Model folder");
        var data = CliOptions.Path("--data", "Training rows the factors are fitted on");
        var output = CliOptions.Path("--out", "Factor folder");
        var strategy = CliOptions.Choice(
            "--strategy",
            "Influence strategy",
            "ekfac",
            InfluenceStrategy.Registry.Keys.ToList()
        );
        var fisher = CliOptions.Enum(
            "--fisher",
            "empirical (true labels) or sampled (labels drawn from the model, seeded)",
            FisherMode.Empirical
        );
        var modules = new Option<string>("--modules")
        {
            DefaultValueFactory = _ => "all",
            Description = "all | mlp | attn | a regex over module names",
        };
        var maxEx = CliOptions.Int("--max-examples", "Fit on at most this many examples (0: all)", 0, min: 0);
        var seed = CliOptions.Long("--seed", "Seed of the sampled Fisher", 0);
        var partition = CliOptions.PartitionOption(
            "i/n: one share of the stage (data stages: a range of batches; eigen: a range of modules)"
        );
        var stage = CliOptions.Enum(
            "--stage",
            "Run one stage only (for schedulers), or all that the strategy needs",
            FactorStage.All
        );
        var tokens = CliOptions.Int("--tokens-per-batch", "Padded tokens per batch", 4096);
        var maxMem = MaxMemory();
        var overwrite = CliOptions.Overwrite();
        var modParts = ModulePartitions();
        var (device, dtype, statDtype) = (CliOptions.Device(), CliOptions.DType(), CliOptions.StatisticsDType());
        var modulePartition = CliOptions.PartitionOption(
            "g/K: the eigen stage's module group (the same as --partition there; auto for a scheduler's array)",
            "--module-partition"
        );
        var cmd = new Command(
            "factors",
            "Fit influence factors: covariances, eigenbases (float64) and eigenvalue corrections, stage by stage, resumable."
        )
        {
            model,
            data,
            output,
            strategy,
            fisher,
            modules,
            maxEx,
            seed,
            partition,
            stage,
            tokens,
            maxMem,
            overwrite,
            modParts,
            device,
            dtype,
            statDtype,
            modulePartition,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                // The eigen stage is split by module: --module-partition names that split where a scheduler sets it.
                var share = p.GetValue(partition)!;
                if (p.GetResult(modulePartition) is { Implicit: false })
                {
                    if (p.GetValue(stage) != FactorStage.Eigen)
                        throw InputError.Argument("--module-partition applies to --stage eigen");
                    if (!share.IsWhole)
                        throw InputError.Argument("give --partition or --module-partition, not both");
                    share = p.GetValue(modulePartition)!;
                }
                var args = new FactorRunArguments
                {
                    Model = p.GetValue(model)!,
                    Data = p.GetValue(data)!,
                    MaxMemoryBytes = p.GetValue(maxMem),
                    DType = p.GetValue(dtype),
                    Fit = new FactorArguments
                    {
                        Strategy = p.GetValue(strategy)!,
                        Fisher = p.GetValue(fisher),
                        Modules = p.GetValue(modules)!,
                        Seed = p.GetValue(seed),
                        MaxExamples = p.GetValue(maxEx),
                        TokensPerBatch = p.GetValue(tokens),
                        ModulePartitions = p.GetValue(modParts),
                        StatisticsDType = p.GetValue(statDtype),
                    },
                };
                var run = CliRunner.Options with
                {
                    Partition = share,
                    Overwrite = p.GetValue(overwrite),
                    Device = p.GetValue(device)!,
                };
                var r = FactorRun.Run(args, p.GetValue(output)!, run, p.GetValue(stage));
                Console.Error.WriteLine(r.Message);
                return 0;
            })
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
        var model = CliOptions.Path("--model", "Model folder (must be the one the factors were fitted on)");
        var factors = CliOptions.OptionalPath("--factors", "Factor folder (not needed for --strategy identity)");
        var train = CliOptions.Path("--train", "Training rows to score");
        var queries = CliOptions.Path("--queries", "Query rows");
        var output = CliOptions.Path("--out", "Score folder");
        var strategy = CliOptions.OptionalChoice(
            "--strategy",
            "Override the factors' strategy (one whose factors are present)",
            InfluenceStrategy.Registry.Keys.ToList()
        );
        var damping = CliOptions.OptionalDouble(
            "--damping",
            "Damping added to the eigenvalues (default: 0.1 x their mean per module; 1e-8 = kronfluence's default)",
            0
        );
        var perToken = new Option<bool>("--per-token")
        {
            Description = "Also split each score over the training tokens",
        };
        var rank = CliOptions.Int(
            "--query-rank",
            "Keep preconditioned query gradients at rank R (randomized SVD; 0: full)",
            0,
            min: 0
        );
        var measurement = CliOptions.Enum(
            "--measurement",
            "loss (summed query loss) or mean-logprob (Infra's mean log-likelihood of the answers)",
            Measurement.Loss
        );
        var aggregate = new Option<bool>("--aggregate-queries")
        {
            Description = "Score against the query set as one target",
        };
        var partition = CliOptions.PartitionOption(
            "i/n: score one range of the training data's batches (merged when all are done)"
        );
        var tokens = CliOptions.Int("--tokens-per-batch", "Padded tokens per batch", 4096);
        var chunk = CliOptions.Int("--chunk-size", "Training examples per resumable chunk", 256);
        var maxMem = MaxMemory();
        var precision = CliOptions.Enum("--precision", "Dtype of the preconditioner's rotations", Precision.Float32);
        var overwrite = CliOptions.Overwrite();
        var modParts = ModulePartitions();
        var (device, dtype, statDtype) = (CliOptions.Device(), CliOptions.DType(), CliOptions.StatisticsDType());
        var cmd = new Command(
            self ? "self" : "pairwise",
            self ? "Self-influence of every training example." : "Pairwise influence of training examples on queries."
        )
        {
            model,
            factors,
            train,
            output,
            strategy,
            damping,
            partition,
            tokens,
            chunk,
            maxMem,
            precision,
            overwrite,
            modParts,
            device,
            dtype,
            statDtype,
        };
        if (!self)
        {
            cmd.Options.Add(queries);
            cmd.Options.Add(perToken);
            cmd.Options.Add(rank);
            cmd.Options.Add(measurement);
            cmd.Options.Add(aggregate);
        }
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var args = new ScoreRunArguments
                {
                    Kind = kind,
                    Model = p.GetValue(model)!,
                    Factors = p.GetValue(factors),
                    Train = p.GetValue(train)!,
                    Queries = self ? null : p.GetValue(queries),
                    Strategy = p.GetValue(strategy),
                    MaxMemoryBytes = p.GetValue(maxMem),
                    DType = p.GetValue(dtype),
                    Score = new ScoreArguments
                    {
                        Damping = p.GetValue(damping),
                        Measurement = self ? Measurement.Loss : p.GetValue(measurement),
                        AggregateQueries = !self && p.GetValue(aggregate),
                        PerToken = !self && p.GetValue(perToken),
                        QueryRank = self ? 0 : p.GetValue(rank),
                        TokensPerBatch = p.GetValue(tokens),
                        ChunkSize = p.GetValue(chunk),
                        ModulePartitions = p.GetValue(modParts),
                        StatisticsDType = p.GetValue(statDtype),
                        Precision =
                            p.GetValue(precision) == Precision.Float64
                                ? TorchSharp.torch.ScalarType.Float64
                                : TorchSharp.torch.ScalarType.Float32,
                    },
                };
                var run = CliRunner.Options with
                {
                    Partition = p.GetValue(partition)!,
                    Overwrite = p.GetValue(overwrite),
                    Device = p.GetValue(device)!,
                };
                var r = ScoreRun.Run(args, p.GetValue(output)!, run);
                Console.Error.WriteLine(r.Message);
                return 0;
            })
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
