using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Tests.Cli;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// The planner's pieces against the tensors the runs allocate on the fixtures (exact byte counts), its disk figure
/// against the files written, its choice of module partitions under a bound, and its refusal.
/// </summary>
public class MemoryPlannerTests
{
    private static long Bytes(Tensor t) => t.numel() * t.element_size();

    /// <summary>Tensor bytes of a factor stage's files: what was resident when they were written.</summary>
    private static long FileTensorBytes(string path, bool counts = false) =>
        SafeTensorsFile
            .Open(path)
            .Entries.Values.Where(e => counts || !e.Name.EndsWith(".num_tokens") && !e.Name.EndsWith(".num_examples"))
            .Sum(e => e.End - e.Begin);

    // System tier: whole factor fits with every stage measured, up to over a minute per case here.
    [Theory]
    [Trait("Category", "System")]
    [InlineData("tiny-qwen2", "all", 1)]
    [InlineData("tiny-llama", "mlp", 1)]
    [InlineData("tiny-qwen2", "all", 3)]
    public void FactorPiecesEqualTheTensorsTheRunAllocates(string name, string modules, int k)
    {
        string dir = Fixtures.TempDir(),
            train = Fixtures.Path_(name, "train.jsonl");
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = Fixtures.Model(name),
                Data = train,
                Fit = new FactorArguments { Modules = ModuleSelection.Parse(modules), ModulePartitions = k },
            },
            dir
        );
        var config = ModelConfig.Load(Fixtures.Model(name));
        var plan = MemoryPlanner.Plan(
            config,
            new PlanArguments
            {
                Modules = ModuleSelection.Parse(modules),
                ModulePartitions = k,
                SequenceLength = 64,
                Queries = 2,
            }
        );
        Assert.Equal(k, plan.ModulePartitions);

        using (var model = ModelLoader.Load(Fixtures.Model(name)))
            Assert.Equal(model.Parameters.Values.Sum(Bytes), plan.Stage(MemoryPlanner.Covariance)["weights"]);
        // With K groups a stage holds one group's statistics at a time: the largest group file's tensors.
        long Largest(string stage) => FactorFiles.StageFiles(dir, stage).Max(f => FileTensorBytes(f));
        // Files hold float32 means; while a stage runs, its sums are float64: twice the file's bytes.
        Assert.Equal(2 * Largest(FactorFiles.Covariance), plan.Stage(MemoryPlanner.Covariance)["covariance sums"]);
        Assert.Equal(Largest(FactorFiles.Eigen), plan.Stage(MemoryPlanner.Eigen)["eigenbases"]);
        Assert.Equal(Largest(FactorFiles.Eigen), plan.Stage(MemoryPlanner.Lambda)["eigenbases"]);
        Assert.Equal(2 * Largest(FactorFiles.Lambda), plan.Stage(MemoryPlanner.Lambda)["lambda sums"]);
        // Scoring loads one group's eigenbases and eigenvalue matrices, as stored.
        var names = TrackedModules.Resolve(config, ModuleSelection.Parse(modules)).Names;
        var loaded = FactorFitter.Load(dir, names, InfluenceStrategy.Get("ekfac"));
        long eigen = loaded.Values.Sum(f =>
            Bytes(f.ActivationEigenvectors!)
            + Bytes(f.ActivationEigenvalues!)
            + Bytes(f.GradientEigenvectors!)
            + Bytes(f.GradientEigenvalues!)
        );
        Assert.Equal(k == 1 ? eigen : Largest(FactorFiles.Eigen), plan.Stage(MemoryPlanner.Scores)["eigenbases"]);
        Assert.Equal(
            k == 1 ? loaded.Values.Sum(f => Bytes(f.LambdaSum!)) : 2 * Largest(FactorFiles.Lambda),
            plan.Stage(MemoryPlanner.Scores)["eigenvalue matrices"]
        );
        foreach (var f in loaded.Values)
            f.Dispose();
        long written = new[] { FactorFiles.Covariance, FactorFiles.Eigen, FactorFiles.Lambda }
            .SelectMany(s => FactorFiles.StageFiles(dir, s))
            .Sum(f => FileTensorBytes(f, counts: true));
        Assert.Equal(written, plan.FactorsDiskBytes);
    }

    [Theory]
    [InlineData("tiny-qwen2", ComputeDType.Float32)]
    [InlineData("tiny-qwen2", ComputeDType.BFloat16)]
    [InlineData("tiny-llama", ComputeDType.Float32)]
    public void BatchAndQueryPiecesEqualTheTensorsTheRunsAllocate(string name, ComputeDType statistics)
    {
        var (model, train, queries) = KronfluenceParityTests.Load(name);
        using var _ = model;
        var modules = TrackedModules.Resolve(model.Config, ModuleSelection.All);
        var batch = train.Take(4).ToList();
        int length = batch.Max(e => e.Length),
            tokens = 4 * length;
        var plan = MemoryPlanner.Plan(
            model.Config,
            new PlanArguments
            {
                TokensPerBatch = tokens,
                SequenceLength = length,
                Queries = queries.Count,
                StatisticsDType = statistics,
                Strategy = StrategyKind.Identity,
            }
        );
        using (NewDisposeScope())
        {
            var bg = BatchGradients.Compute(model, batch, modules.Names, statistics: statistics);
            long captured = modules.Names.Sum(m => Bytes(bg.A[m]) + Bytes(bg.G[m]));
            Assert.Equal(captured, plan.Stage(MemoryPlanner.Scores)["captured a/g"]);
        }
        var identity = InfluenceStrategy.Get("identity");
        var none = modules.Names.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        foreach (int rank in new[] { 0, 4 })
        {
            var args = new ScoreArguments
            {
                QueryRank = rank,
                TokensPerBatch = tokens,
                StatisticsDType = statistics,
            };
            using var pq = new InfluenceScorer(model, modules, identity, none, args).PrepareQueries(queries);
            long held = rank == 0 ? pq.Full.Values.Sum(Bytes) : pq.LowRank.Values.Sum(x => Bytes(x.U) + Bytes(x.V));
            var p = MemoryPlanner.Plan(
                model.Config,
                new PlanArguments
                {
                    Strategy = StrategyKind.Identity,
                    Queries = queries.Count,
                    QueryRank = rank,
                    SequenceLength = length,
                    TokensPerBatch = tokens,
                }
            );
            Assert.Equal(held, p.Stage(MemoryPlanner.Scores)["query gradients"]);
        }
    }

    [Fact]
    public void ABoundChoosesTheFewestModulePartitionsThatFit()
    {
        var config = KnownShapes.Get("qwen2.5-0.5b");
        var args = new PlanArguments
        {
            Modules = ModuleSelection.Mlp,
            Queries = 8,
            QueryRank = 32,
            Examples = 64,
            MaxMemoryBytes = 16L << 30,
        };
        var plan = MemoryPlanner.Plan(config, args);
        Assert.True(plan.Fits && plan.PeakBytes <= 16L << 30);
        Assert.True(plan.ModulePartitions > 1, $"chose {plan.ModulePartitions}");
        // One fewer partition does not fit even at one sequence per batch.
        var fewer = MemoryPlanner.Plan(
            config,
            args with
            {
                ModulePartitions = plan.ModulePartitions - 1,
                MaxMemoryBytes = null,
                TokensPerBatch = 512,
            }
        );
        Assert.True(fewer.PeakBytes > 16L << 30);
        // The most tokens per batch: one more sequence's worth would not fit.
        var more = MemoryPlanner.Plan(
            config,
            args with
            {
                ModulePartitions = plan.ModulePartitions,
                MaxMemoryBytes = null,
                TokensPerBatch = plan.TokensPerBatch + 1,
            }
        );
        Assert.True(more.PeakBytes > 16L << 30);
    }

    [Fact]
    public void ARefusalNamesThePieceThatDoesNotFit()
    {
        var e = Assert.Throws<InputArgumentException>(() =>
            MemoryPlanner.Plan(
                KnownShapes.Get("qwen2.5-7b"),
                new PlanArguments { Modules = ModuleSelection.Mlp, MaxMemoryBytes = 16L << 30 }
            )
        );
        Assert.Contains("'weights'", e.Message);
        Assert.Contains("--max-memory", e.Message);
    }

    [Fact]
    public void PlanWorksFromAFolderHoldingOnlyConfigJson()
    {
        string dir = Fixtures.TempDir();
        File.Copy(Path.Combine(Fixtures.Model("tiny-qwen2"), "config.json"), Path.Combine(dir, "config.json"));
        var r = InfraProcess.Run(["plan", "--model", dir, "--queries", "4", "--json"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var o = JsonNode.Parse(r.Stdout)!.AsObject();
        var stages = o["stages"]!.AsArray();
        Assert.Equal(
            ["covariance", "eigen", "lambda", "queries", "scores"],
            stages.Select(s => s!["name"]!.ToString())
        );
        Assert.Equal(stages.Max(s => s!["peak_bytes"]!.GetValue<long>()), o["peak_bytes"]!.GetValue<long>());
        foreach (var s in stages)
            Assert.Equal(
                s!["pieces"]!.AsArray().Sum(x => x!["bytes"]!.GetValue<long>()),
                s["peak_bytes"]!.GetValue<long>()
            );
        Assert.Equal(1, o["module_partitions"]!.GetValue<int>());
        Assert.True(o["factors_disk_bytes"]!.GetValue<long>() > 0);

        var refused = InfraProcess.Run(["plan", "--shape", "qwen2.5-7b", "--modules", "mlp", "--max-memory", "16GiB"]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("'weights'", refused.Stderr);
        Assert.Single(refused.Stderr.Trim().Split('\n'));
    }
}
