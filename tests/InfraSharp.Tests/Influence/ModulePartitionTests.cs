using InfraSharp.Influence;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// Module partitions: factors and scores computed one group of modules at a time equal those computed with every
/// module at once, alone, combined with data partitions, and after a killed run resumes.
/// </summary>
[Collection("cli")]
public class ModulePartitionTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    private static FactorRunArguments Factors(int k) =>
        new()
        {
            Model = Model,
            Data = Train,
            Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, ModulePartitions = k },
        };

    private static ScoreRunArguments Scores(string factors, int k, bool perToken = false) =>
        new()
        {
            Model = Model,
            Factors = factors,
            Train = Train,
            Queries = Queries,
            Score = new ScoreArguments
            {
                ModulePartitions = k,
                ChunkSize = 48,
                PerToken = perToken,
                Damping = 1e-8,
            },
        };

    private static double MaxRelDiff(Tensor a, Tensor b) =>
        (
            (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max()
            / b.to(ScalarType.Float64).abs().max().clamp_min(1e-30)
        ).item<double>();

    private static Dictionary<string, Tensor> Stage(string dir, string stage) =>
        FactorFiles.StageFiles(dir, stage).SelectMany(SafeTensorsFile.ReadAll).ToDictionary();

    private static Tensor Read(string dir, string file) => SafeTensorsFile.Open(Path.Combine(dir, file)).Read("scores");

    private static void AssertSameFactors(string expected, string actual)
    {
        foreach (var stage in new[] { "covariance", "eigen", "lambda" })
        {
            var a = Stage(expected, stage);
            var b = Stage(actual, stage);
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var key in a.Keys.Where(k => !k.EndsWith("eigenvectors")))
                // Covariances are float32 means: merged, the single run's up to float32 rounding. The eigenbasis and
                // its eigenvalue corrections follow that rounding, amplified by the decomposition.
                Assert.True(
                    MaxRelDiff(b[key], a[key]) <= (stage == "covariance" ? 1e-6 : 1e-5),
                    $"{stage} {key}: {MaxRelDiff(b[key], a[key])}"
                );
        }
    }

    // System tier: factors and scores once per module partition count, over 30 s here.
    [Fact]
    [Trait("Category", "System")]
    public void FactorsAndScoresAreTheSameForAnyModulePartitionCount()
    {
        var factorDirs = new Dictionary<int, string>();
        foreach (int k in new[] { 1, 2, 3 })
        {
            factorDirs[k] = Fixtures.TempDir();
            Assert.True(FactorRun.Run(Factors(k), factorDirs[k]).Complete);
        }
        Assert.Equal(3, FactorFiles.StageFiles(factorDirs[3], "lambda").Count);
        Assert.False(File.Exists(Path.Combine(factorDirs[3], "lambda.safetensors")));
        AssertSameFactors(factorDirs[1], factorDirs[2]);
        AssertSameFactors(factorDirs[1], factorDirs[3]);

        string reference = Fixtures.TempDir();
        ScoreRun.Run(Scores(factorDirs[1], 1, perToken: true), reference);
        foreach (var (factorK, scoreK) in new[] { (1, 2), (3, 3), (2, 1) })
        {
            string s = Fixtures.TempDir();
            Assert.True(ScoreRun.Run(Scores(factorDirs[factorK], scoreK, perToken: true), s).Complete);
            Assert.True(
                MaxRelDiff(Read(s, "pairwise.safetensors"), Read(reference, "pairwise.safetensors")) <= 1e-6,
                $"{factorK}/{scoreK}"
            );
            Assert.True(
                MaxRelDiff(Read(s, "per_token.safetensors"), Read(reference, "per_token.safetensors")) <= 1e-6,
                $"{factorK}/{scoreK}"
            );
            Assert.False(
                Directory.Exists(Path.Combine(s, "chunks", "groups"))
                    && Directory.GetFiles(Path.Combine(s, "chunks", "groups")).Length > 0
            );
        }

        // Self-influence too.
        string self1 = Fixtures.TempDir(),
            self3 = Fixtures.TempDir();
        ScoreRun.Run(Scores(factorDirs[1], 1) with { Kind = ScoreKind.Self, Queries = null }, self1);
        ScoreRun.Run(Scores(factorDirs[3], 3) with { Kind = ScoreKind.Self, Queries = null }, self3);
        Assert.True(MaxRelDiff(Read(self3, "self.safetensors"), Read(self1, "self.safetensors")) <= 1e-6);
    }

    [Fact]
    public void ModulePartitionsCombineWithDataPartitionsAndResume()
    {
        string single = Fixtures.TempDir(),
            parts = Fixtures.TempDir();
        FactorRun.Run(Factors(1), single);
        // 3 data partitions x 2 module groups: covariance, eigen by module group, lambda.
        for (int i = 0; i < 3; i++)
            FactorRun.Run(
                Factors(2),
                parts,
                new RunOptions { Partition = new Partition(i, 3) },
                FactorStage.Covariance
            );
        Assert.Equal(2, FactorFiles.StageFiles(parts, "covariance").Count);
        for (int g = 0; g < 2; g++)
            FactorRun.Run(Factors(2), parts, new RunOptions { Partition = new Partition(g, 2) }, FactorStage.Eigen);
        // A killed lambda run: group 0 of partition 1 was written, group 1 was not; the rerun does only what is
        // missing.
        FactorRun.Run(Factors(2), parts, new RunOptions { Partition = new Partition(1, 3) }, FactorStage.Lambda);
        string group1 = FactorFiles.PartitionPath(parts, "lambda", new Partition(1, 3), new Partition(1, 2));
        string group0 = FactorFiles.PartitionPath(parts, "lambda", new Partition(1, 3), new Partition(0, 2));
        File.Delete(group1);
        var kept = File.GetLastWriteTimeUtc(group0);
        for (int i = 0; i < 3; i++)
            FactorRun.Run(Factors(2), parts, new RunOptions { Partition = new Partition(i, 3) }, FactorStage.Lambda);
        Assert.True(FactorFiles.StageComplete(parts, "lambda", 2));
        Assert.Equal(kept, File.GetLastWriteTimeUtc(group0)); // reused, not recomputed
        AssertSameFactors(single, parts);

        // Scores with 3 module groups over 2 data partitions; a run killed inside the last group resumes.
        string s1 = Fixtures.TempDir(),
            s = Fixtures.TempDir();
        ScoreRun.Run(Scores(single, 1), s1);
        for (int i = 0; i < 2; i++)
            ScoreRun.Run(Scores(parts, 3), s, new RunOptions { Partition = new Partition(i, 2) });
        var whole = Read(s, "pairwise.safetensors");
        // Partitioned factors: float32 covariance means merged, so within float32 rounding amplified (1e-5).
        Assert.True(MaxRelDiff(whole, Read(s1, "pairwise.safetensors")) <= 1e-5);
        var chunks = Directory.GetFiles(Path.Combine(s, "chunks"), "pairwise-*").Order().ToList();
        File.Delete(chunks[^1]);
        File.Delete(Path.Combine(s, "pairwise.safetensors"));
        ScoreRun.Run(Scores(parts, 3), s);
        Assert.Equal(0.0, MaxRelDiff(Read(s, "pairwise.safetensors"), whole));
    }
}
