using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Tests.Cli;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Launch;

/// <summary>
/// The launcher against a real Slurm cluster: the whole chain submitted as job arrays (3 data partitions x 2 module
/// partitions) writes factors and scores equal to one local run, and a failing task's error reaches
/// <c>infra launch status</c> with its file and line. System tier: it needs the Slurm packages, and fails (never
/// skips) without them.
/// </summary>
[Collection("slurm")]
[Trait("Category", "System")]
public class SlurmLaunchTests(SlurmCluster cluster)
{
    private const string Name = "tiny-qwen2";
    private static readonly string Train = Fixtures.Path_(Name, "train.jsonl"),
        Queries = Fixtures.Path_(Name, "queries.jsonl");

    private InfraProcess.Output Launch(string outDir, string data) =>
        InfraProcess.Run(
            [
                "launch",
                "slurm",
                "--model",
                Fixtures.Model(Name),
                "--data",
                data,
                "--queries",
                Queries,
                "--out",
                outDir,
                "--data-partitions",
                "3",
                "--module-partitions",
                "2",
                "--cpus",
                "1",
                "--mem",
                "2G",
                "--damping",
                "1e-8",
                "--submit",
            ],
            cluster.Environment
        );

    /// <summary>Polls <c>infra launch status</c> until the chain is complete (0) or a task failed (1).</summary>
    private InfraProcess.Output Wait(string outDir, int minutes = 20)
    {
        var deadline = DateTime.UtcNow.AddMinutes(minutes);
        while (true)
        {
            var s = InfraProcess.Run(["launch", "status", outDir], cluster.Environment);
            if (s.ExitCode is 0 or 1 || DateTime.UtcNow > deadline)
                return s;
            Thread.Sleep(2000);
        }
    }

    private static double RelativeDifference(Tensor a, Tensor b) =>
        ((a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).norm() / b.to(ScalarType.Float64).norm()).item<double>();

    /// <summary>The same chain run locally, once for the class: the reference both cluster runs must equal.</summary>
    private static readonly Lazy<string> Local = new(() =>
    {
        // With the tasks' thread count (--cpus 1 sets OMP_NUM_THREADS=1): LAPACK may choose another basis of a
        // degenerate eigenspace with another thread count, and the eigenvalue corrections follow the basis.
        int threads = get_num_threads();
        set_num_threads(1);
        try
        {
            return RunLocal();
        }
        finally
        {
            set_num_threads(threads);
        }
    });

    private static string RunLocal()
    {
        string local = Fixtures.TempDir();
        var fit = new FactorArguments { ModulePartitions = 2 };
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = Fixtures.Model(Name),
                Data = Train,
                Fit = fit,
            },
            Path.Combine(local, "factors")
        );
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Fixtures.Model(Name),
                Factors = Path.Combine(local, "factors"),
                Train = Train,
                Queries = Queries,
                Score = new ScoreArguments { Damping = 1e-8, ModulePartitions = 2 },
            },
            Path.Combine(local, "scores")
        );
        return local;
    }

    [Fact]
    public void TheChainOnSlurmEqualsOneLocalRun()
    {
        string root = Fixtures.TempDir(),
            outDir = Path.Combine(root, "cluster");
        var launched = Launch(outDir, Train);
        Assert.True(launched.ExitCode == 0, launched.Stderr);
        Assert.Equal(7, launched.Stdout.Trim().Split('\n').Length); // one job id per step
        string local = Local.Value;
        var status = Wait(outDir);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        Assert.Contains("complete", status.Stdout);
        AssertEqualsLocal(outDir, local);
    }

    /// <summary>
    /// A task cancelled mid-stage (scancel) leaves the chain stuck behind it; resubmitting the same chain reruns
    /// what is missing (the finished partitions are reused) and ends with the same factors and scores.
    /// </summary>
    [Fact]
    public void ACancelledTaskIsRerunByResubmittingTheChain()
    {
        string root = Fixtures.TempDir(),
            outDir = Path.Combine(root, "cluster");
        var launched = Launch(outDir, Train);
        Assert.True(launched.ExitCode == 0, launched.Stderr);
        var ids = launched.Stdout.Trim().Split('\n').Select(l => l.Split(' ')[1]).ToList();
        string heartbeat = Path.Combine(outDir, "launch", "status", "covariance", "1.running");
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while (!File.Exists(heartbeat) && DateTime.UtcNow < deadline)
            Thread.Sleep(200);
        Assert.True(File.Exists(heartbeat), "covariance task 1 never started");
        string conf = cluster.Environment["SLURM_CONF"];
        var cancel = SlurmCluster.Bash("-c", $"SLURM_CONF={conf} scancel {ids[0]}_1");
        Assert.True(cancel.ExitCode == 0, cancel.Output);
        // The steps after it can never start now (afterok): cancel them, as a user would, and resubmit.
        var rest = SlurmCluster.Bash("-c", $"SLURM_CONF={conf} scancel {string.Join(' ', ids.Skip(1))}");
        Assert.True(rest.ExitCode == 0, rest.Output);
        var stuck = InfraProcess.Run(["launch", "status", outDir], cluster.Environment);
        Assert.DoesNotContain("complete", stuck.Stdout);
        // Wait for the cancelled task's wrapper to go, so that its last heartbeat cannot race the resubmission.
        SlurmCluster.Bash(
            "-c",
            $"for n in $(seq 100); do SLURM_CONF={conf} squeue -h -j {ids[0]} | grep -q . || break; sleep 0.3; done"
        );
        var again = Launch(outDir, Train);
        Assert.True(again.ExitCode == 0, again.Stderr);
        string local = Local.Value;
        var status = Wait(outDir);
        Assert.True(status.ExitCode == 0, status.Stdout + status.Stderr);
        AssertEqualsLocal(outDir, local);
    }

    private static void AssertEqualsLocal(string outDir, string local)
    {
        foreach (var stage in new[] { FactorFiles.Covariance, FactorFiles.Lambda })
        foreach (var file in FactorFiles.StageFiles(Path.Combine(local, "factors"), stage))
        {
            var theirs = SafeTensorsFile.ReadAll(Path.Combine(outDir, "factors", Path.GetFileName(file)));
            foreach (var (key, mine) in SafeTensorsFile.ReadAll(file))
                Assert.True(RelativeDifference(theirs[key], mine) <= 1e-6, $"{stage} {key}");
        }
        var scores = SafeTensorsFile.Open(Path.Combine(outDir, "scores", "pairwise.safetensors")).Read("scores");
        var reference = SafeTensorsFile.Open(Path.Combine(local, "scores", "pairwise.safetensors")).Read("scores");
        // The cluster merged 8 data partitions of float32 covariance means: the single run's up to float32 rounding,
        // which the damped inverse amplifies in the scores.
        Assert.True(
            RelativeDifference(scores, reference) <= 1e-5,
            $"scores differ by {RelativeDifference(scores, reference)}"
        );
    }

    [Fact]
    public void AFailedTaskShowsItsErrorInTheStatus()
    {
        string root = Fixtures.TempDir(),
            outDir = Path.Combine(root, "cluster");
        var lines = File.ReadAllLines(Train).ToList();
        lines[100] = "{\"messages\": not json"; // line 101 of the copy
        string bad = Path.Combine(root, "train-bad.jsonl");
        File.WriteAllLines(bad, lines);
        var launched = Launch(outDir, bad);
        Assert.True(launched.ExitCode == 0, launched.Stderr);
        var status = Wait(outDir);
        Assert.True(status.ExitCode == 1, status.Stdout);
        Assert.Contains("FAILED", status.Stdout);
        Assert.Contains("train-bad.jsonl:101", status.Stdout);
        // The rest of the chain never ran: it waits on the failed step.
        Assert.Matches(@"\nscores\s+waiting", status.Stdout);
        SlurmCluster.Bash("-c", $"SLURM_CONF={cluster.Environment["SLURM_CONF"]} scancel --user=root");
    }
}
