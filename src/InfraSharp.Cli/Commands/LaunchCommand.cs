using System.CommandLine;
using InfraSharp.Influence;
using InfraSharp.Launch;
using InfraSharp.Models;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra launch slurm</c> writes (and with <c>--submit</c> submits) the whole influence chain as Slurm job
/// arrays over one shared folder; <c>infra launch status OUT</c> reads that folder and says where the chain is.
/// </summary>
public static class LaunchCommand
{
    public static Command Build()
    {
        var cmd = new Command(
            "launch",
            "Run the influence chain on a cluster: job files per step, submission, status."
        );
        cmd.Subcommands.Add(Slurm());
        cmd.Subcommands.Add(Kubernetes());
        cmd.Subcommands.Add(Status());
        return cmd;
    }

    /// <summary>The options both launchers take: those of the factors and scores runs, partitions and
    /// resources.</summary>
    private sealed class ChainOptions
    {
        private readonly Option<string> _model = CliOptions.Path("--model", "Model folder (on the shared file system)");
        private readonly Option<string> _data = CliOptions.Path(
            "--data",
            "Training rows: factors are fitted on them and they are scored"
        );
        private readonly Option<string?> _queries = CliOptions.OptionalPath(
            "--queries",
            "Query rows: adds the pairwise scores steps"
        );
        private readonly Option<string> _output = CliOptions.Path(
            "--out",
            "Shared output folder: factors/, scores/, launch/"
        );
        private readonly Option<string> _strategy = CliOptions.Choice(
            "--strategy",
            "Influence strategy",
            "ekfac",
            InfluenceStrategy.Registry.Keys.ToList()
        );
        private readonly Option<FisherMode> _fisher = CliOptions.Enum(
            "--fisher",
            "empirical or sampled",
            FisherMode.Empirical
        );
        private readonly Option<string> _modules = new("--modules")
        {
            DefaultValueFactory = _ => "all",
            Description = "all | mlp | attn | a regex",
        };
        private readonly Option<long> _seed = CliOptions.Long(
            "--seed",
            "Seed of the sampled Fisher and the query factorisation",
            0
        );
        private readonly Option<int> _maxEx = CliOptions.Int(
            "--max-examples",
            "Fit on at most this many examples (0: all)",
            0,
            min: 0
        );
        private readonly Option<int> _tokens = CliOptions.Int("--tokens-per-batch", "Padded tokens per batch", 4096);
        private readonly Option<long?> _maxMem = CliOptions.Bytes(
            "--max-memory",
            "Memory bound per task (sets the tokens per batch)"
        );
        private readonly Option<int> _dataParts = CliOptions.Int(
            "--data-partitions",
            "Tasks per data step (covariance, lambda, scores)",
            1
        );
        private readonly Option<int> _modParts = CliOptions.Int(
            "--module-partitions",
            "Module groups (the eigendecomposition step has one task each)",
            1
        );
        private readonly Option<string> _device = CliOptions.Device();
        private readonly Option<ComputeDType> _dtype = CliOptions.DType(),
            _statDtype = CliOptions.StatisticsDType();
        private readonly Option<double?> _damping = CliOptions.OptionalDouble(
            "--damping",
            "Damping added to the eigenvalues",
            0
        );
        private readonly Option<int> _rank = CliOptions.Int(
            "--query-rank",
            "Rank of the preconditioned query gradients (0: full)",
            0,
            min: 0
        );
        private readonly Option<bool> _perToken = new("--per-token")
        {
            Description = "Also split each score over the training tokens",
        };
        private readonly Option<Measurement> _measurement = CliOptions.Enum(
            "--measurement",
            "loss or mean-logprob",
            Measurement.Loss
        );
        private readonly Option<int> _chunk = CliOptions.Int(
            "--chunk-size",
            "Training examples per resumable chunk",
            256
        );
        private readonly Option<int> _cpus = CliOptions.Int("--cpus", "CPUs per task", 4);
        private readonly Option<string> _mem = new("--mem")
        {
            DefaultValueFactory = _ => "16G",
            Description = "Memory per task (16G)",
        };
        private readonly Option<int> _gpus = CliOptions.Int("--gpus", "GPUs per task", 0, min: 0);
        private readonly Option<string> _time = new("--time")
        {
            DefaultValueFactory = _ => "1-00:00:00",
            Description = "Time limit per task (Slurm)",
        };
        private readonly Option<string?> _infra = CliOptions.OptionalPath("--infra-command", "How the nodes run infra");

        public void AddTo(Command c)
        {
            foreach (
                Option o in new Option[]
                {
                    _model,
                    _data,
                    _queries,
                    _output,
                    _strategy,
                    _fisher,
                    _modules,
                    _seed,
                    _maxEx,
                    _tokens,
                    _maxMem,
                    _dataParts,
                    _modParts,
                    _device,
                    _dtype,
                    _statDtype,
                    _damping,
                    _rank,
                    _perToken,
                    _measurement,
                    _chunk,
                    _cpus,
                    _mem,
                    _gpus,
                    _time,
                    _infra,
                }
            )
                c.Options.Add(o);
        }

        /// <summary>The chain's arguments; paths absolute unless <paramref name="keepPaths"/> (pod paths).</summary>
        public LaunchArguments Read(
            ParseResult p,
            string defaultInfra,
            bool keepPaths,
            LaunchResources? resources = null
        )
        {
            var factors = new FactorRunArguments
            {
                Model = p.GetValue(_model)!,
                Data = p.GetValue(_data)!,
                MaxMemoryBytes = p.GetValue(_maxMem),
                DType = p.GetValue(_dtype),
                Fit = new FactorArguments
                {
                    Strategy = p.GetValue(_strategy)!,
                    Fisher = p.GetValue(_fisher),
                    Modules = p.GetValue(_modules)!,
                    Seed = p.GetValue(_seed),
                    MaxExamples = p.GetValue(_maxEx),
                    TokensPerBatch = p.GetValue(_tokens),
                    ModulePartitions = p.GetValue(_modParts),
                    StatisticsDType = p.GetValue(_statDtype),
                },
            };
            if (!keepPaths)
                factors = factors.Normalized();
            ScoreRunArguments? scores = p.GetValue(_queries) is string q
                ? new ScoreRunArguments
                {
                    Model = factors.Model,
                    Train = factors.Data,
                    Queries = keepPaths ? q : Path.GetFullPath(q),
                    MaxMemoryBytes = p.GetValue(_maxMem),
                    DType = p.GetValue(_dtype),
                    Score = new ScoreArguments
                    {
                        Damping = p.GetValue(_damping),
                        QueryRank = p.GetValue(_rank),
                        PerToken = p.GetValue(_perToken),
                        Measurement = p.GetValue(_measurement),
                        TokensPerBatch = p.GetValue(_tokens),
                        ChunkSize = p.GetValue(_chunk),
                        ModulePartitions = p.GetValue(_modParts),
                        StatisticsDType = p.GetValue(_statDtype),
                        Seed = p.GetValue(_seed),
                    },
                }
                : null;
            string outDir = p.GetValue(_output)!;
            return new LaunchArguments
            {
                Factors = factors,
                Scores = scores,
                Out = keepPaths ? outDir : Path.GetFullPath(outDir),
                DataPartitions = p.GetValue(_dataParts),
                Device = p.GetValue(_device)!,
                InfraCommand = p.GetValue(_infra) ?? defaultInfra,
                Resources = (resources ?? new LaunchResources()) with
                {
                    Cpus = p.GetValue(_cpus),
                    Memory = p.GetValue(_mem)!,
                    Gpus = p.GetValue(_gpus),
                    Time = p.GetValue(_time)!,
                },
            };
        }
    }

    private static Command Slurm()
    {
        var chain = new ChainOptions();
        var queue = CliOptions.OptionalPath("--partition-name", "Slurm partition (queue)");
        var account = CliOptions.OptionalPath("--account", "Slurm account");
        var extra = new Option<string[]>("--sbatch")
        {
            Description = "An extra #SBATCH line (repeatable), e.g. --sbatch=--qos=high",
        };
        var submit = new Option<bool>("--submit")
        {
            Description = "Submit the chain with sbatch and print the job ids",
        };
        var cmd = new Command(
            "slurm",
            "Write the chain as sbatch job arrays (covariance, merge, eigen, lambda, merge, scores, merge)."
        )
        {
            queue,
            account,
            extra,
            submit,
        };
        chain.AddTo(cmd);
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var args = chain.Read(
                    p,
                    ThisInfra(),
                    keepPaths: false,
                    new LaunchResources
                    {
                        Queue = p.GetValue(queue),
                        Account = p.GetValue(account),
                        Extra = p.GetValue(extra) ?? [],
                    }
                );
                args.Validate();
                var scripts = SlurmScripts.Write(args);
                Console.Error.WriteLine(
                    $"wrote {scripts.Count} sbatch scripts and submit.sh in {SlurmScripts.Folder(args.Out)}"
                );
                if (p.GetValue(submit))
                    Console.WriteLine(SlurmScripts.SubmitAll(args.Out));
                return 0;
            })
        );
        return cmd;
    }

    private static Command Kubernetes()
    {
        var chain = new ChainOptions();
        var image = CliOptions.Path("--image", "Container image with infra on its PATH (or give --infra-command)");
        var claim = CliOptions.Path(
            "--pvc",
            "PersistentVolumeClaim (ReadWriteMany) holding the model, data and output"
        );
        var mount = new Option<string>("--mount-path")
        {
            DefaultValueFactory = _ => "/shared",
            Description = "Where pods mount the claim",
        };
        var ns = CliOptions.OptionalPath("--namespace", "Kubernetes namespace");
        var backoff = CliOptions.Int(
            "--backoff-limit-per-index",
            "Retries of one index before it counts as failed",
            2,
            min: 0
        );
        var local = CliOptions.OptionalPath(
            "--write-to",
            "Where this machine writes the job files (default: --out as given)"
        );
        var cmd = new Command(
            "kubernetes",
            "Write the chain as Indexed Jobs (one per step) and apply.sh, which runs them in order."
        )
        {
            image,
            claim,
            mount,
            ns,
            backoff,
            local,
        };
        chain.AddTo(cmd);
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                // Paths are the pods' (under --mount-path); nothing is checked on this machine.
                var args = chain.Read(p, "infra", keepPaths: true);
                args.CheckOutput();
                var k = new KubernetesOptions
                {
                    Image = p.GetValue(image)!,
                    Claim = p.GetValue(claim)!,
                    MountPath = p.GetValue(mount)!,
                    Namespace = p.GetValue(ns),
                    BackoffLimitPerIndex = p.GetValue(backoff),
                };
                string localOut = p.GetValue(local) ?? args.Out;
                var files = KubernetesManifests.Write(args, k, localOut);
                Console.Error.WriteLine(
                    $"wrote {files.Count} Indexed Job manifests and apply.sh in {KubernetesManifests.Folder(localOut)}"
                );
                return 0;
            })
        );
        return cmd;
    }

    private static Command Status()
    {
        var folder = new Argument<string>("out") { Description = "The launched chain's output folder" };
        var cmd = new Command(
            "status",
            "Per step: tasks done, running, failed (with the error) or missing; exit 0 complete, 1 failed, 3 in "
                + "progress."
        )
        {
            folder,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var s = LaunchStatus.Read(p.GetValue(folder)!);
                Console.WriteLine(s);
                return s.ExitCode;
            })
        );
        return cmd;
    }

    /// <summary>This very infra, by absolute path: the apphost, or <c>dotnet infra.dll</c> when run through
    /// dotnet.</summary>
    private static string ThisInfra()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = typeof(LaunchCommand).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? $"{SlurmScripts.Quote(process)} {SlurmScripts.Quote(dll)}"
            : SlurmScripts.Quote(process);
    }
}
