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
        var cmd = new Command("launch", "Run the influence chain on a cluster: job files per step, submission, status.");
        cmd.Subcommands.Add(Slurm());
        cmd.Subcommands.Add(Status());
        return cmd;
    }

    private static Command Slurm()
    {
        var model = CliOptions.Path("--model", "Model folder (on the shared file system)");
        var data = CliOptions.Path("--data", "Training rows: factors are fitted on them and they are scored");
        var queries = CliOptions.OptionalPath("--queries", "Query rows: adds the pairwise scores steps");
        var output = CliOptions.Path("--out", "Shared output folder: factors/, scores/, launch/");
        var strategy = CliOptions.Choice("--strategy", "Influence strategy", "ekfac", InfluenceStrategy.Registry.Keys.ToList());
        var fisher = CliOptions.Enum("--fisher", "empirical or sampled", FisherMode.Empirical);
        var modules = new Option<string>("--modules") { DefaultValueFactory = _ => "all", Description = "all | mlp | attn | a regex" };
        var seed = CliOptions.Long("--seed", "Seed of the sampled Fisher and the query factorisation", 0);
        var maxEx = CliOptions.Int("--max-examples", "Fit on at most this many examples (0: all)", 0, min: 0);
        var tokens = CliOptions.Int("--tokens-per-batch", "Padded tokens per batch", 4096);
        var maxMem = CliOptions.Bytes("--max-memory", "Memory bound per task (sets the tokens per batch)");
        var dataParts = CliOptions.Int("--data-partitions", "Array tasks per data step (covariance, lambda, scores)", 1);
        var modParts = CliOptions.Int("--module-partitions", "Module groups (the eigendecomposition array has one task each)", 1);
        var (device, dtype, statDtype) = (CliOptions.Device(), CliOptions.DType(), CliOptions.StatisticsDType());
        var damping = CliOptions.OptionalDouble("--damping", "Damping added to the eigenvalues", 0);
        var rank = CliOptions.Int("--query-rank", "Rank of the preconditioned query gradients (0: full)", 0, min: 0);
        var perToken = new Option<bool>("--per-token") { Description = "Also split each score over the training tokens" };
        var measurement = CliOptions.Enum("--measurement", "loss or mean-logprob", Measurement.Loss);
        var chunk = CliOptions.Int("--chunk-size", "Training examples per resumable chunk", 256);
        var cpus = CliOptions.Int("--cpus", "CPUs per task", 4);
        var mem = new Option<string>("--mem") { DefaultValueFactory = _ => "16G", Description = "Memory per task, as sbatch takes it" };
        var gpus = CliOptions.Int("--gpus", "GPUs per task", 0, min: 0);
        var time = new Option<string>("--time") { DefaultValueFactory = _ => "1-00:00:00", Description = "Time limit per task" };
        var queue = CliOptions.OptionalPath("--partition-name", "Slurm partition (queue)");
        var account = CliOptions.OptionalPath("--account", "Slurm account");
        var extra = new Option<string[]>("--sbatch") { Description = "An extra #SBATCH line (repeatable), e.g. --sbatch=--qos=high" };
        var infra = CliOptions.OptionalPath("--infra-command", "How the nodes run infra (default: this infra, by absolute path)");
        var submit = new Option<bool>("--submit") { Description = "Submit the chain with sbatch and print the job ids" };
        var cmd = new Command("slurm", "Write the chain as sbatch job arrays (covariance, merge, eigen, lambda, merge, scores, merge).")
        {
            model, data, queries, output, strategy, fisher, modules, seed, maxEx, tokens, maxMem, dataParts, modParts, device, dtype,
            statDtype, damping, rank, perToken, measurement, chunk, cpus, mem, gpus, time, queue, account, extra, infra, submit,
        };
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            string outDir = Path.GetFullPath(p.GetValue(output)!);
            var factors = new FactorRunArguments
            {
                Model = p.GetValue(model)!, Data = p.GetValue(data)!, MaxMemoryBytes = p.GetValue(maxMem), DType = p.GetValue(dtype),
                Fit = new FactorArguments
                {
                    Strategy = p.GetValue(strategy)!, Fisher = p.GetValue(fisher), Modules = p.GetValue(modules)!,
                    Seed = p.GetValue(seed), MaxExamples = p.GetValue(maxEx), TokensPerBatch = p.GetValue(tokens),
                    ModulePartitions = p.GetValue(modParts), StatisticsDType = p.GetValue(statDtype),
                },
            }.Normalized();
            ScoreRunArguments? scores = p.GetValue(queries) is string q ? new ScoreRunArguments
            {
                Model = factors.Model, Train = factors.Data, Queries = q, MaxMemoryBytes = p.GetValue(maxMem), DType = p.GetValue(dtype),
                Score = new ScoreArguments
                {
                    Damping = p.GetValue(damping), QueryRank = p.GetValue(rank), PerToken = p.GetValue(perToken),
                    Measurement = p.GetValue(measurement), TokensPerBatch = p.GetValue(tokens), ChunkSize = p.GetValue(chunk),
                    ModulePartitions = p.GetValue(modParts), StatisticsDType = p.GetValue(statDtype), Seed = p.GetValue(seed),
                },
            }.Normalized() : null;
            var args = new LaunchArguments
            {
                Factors = factors, Scores = scores, Out = outDir, DataPartitions = p.GetValue(dataParts), Device = p.GetValue(device)!,
                InfraCommand = p.GetValue(infra) ?? ThisInfra(),
                Resources = new LaunchResources
                {
                    Cpus = p.GetValue(cpus), Memory = p.GetValue(mem)!, Gpus = p.GetValue(gpus), Time = p.GetValue(time)!,
                    Queue = p.GetValue(queue), Account = p.GetValue(account), Extra = p.GetValue(extra) ?? [],
                },
            };
            args.Validate();
            var scripts = SlurmScripts.Write(args);
            Console.Error.WriteLine($"wrote {scripts.Count} sbatch scripts and submit.sh in {SlurmScripts.Folder(outDir)}");
            if (p.GetValue(submit)) Console.WriteLine(SlurmScripts.SubmitAll(outDir));
            return 0;
        }));
        return cmd;
    }

    private static Command Status()
    {
        var folder = new Argument<string>("out") { Description = "The launched chain's output folder" };
        var cmd = new Command("status", "Per step: tasks done, running, failed (with the error) or missing; exit 0 complete, 1 failed, 3 in progress.")
        { folder };
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            var s = LaunchStatus.Read(p.GetValue(folder)!);
            Console.WriteLine(s);
            return s.ExitCode;
        }));
        return cmd;
    }

    /// <summary>This very infra, by absolute path: the apphost, or <c>dotnet infra.dll</c> when run through dotnet.</summary>
    private static string ThisInfra()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = typeof(LaunchCommand).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? $"{SlurmScripts.Quote(process)} {SlurmScripts.Quote(dll)}" : SlurmScripts.Quote(process);
    }
}
