using InfraSharp.Influence;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// Library runs and their manifests: the same arguments resume and give identical files, other arguments are
/// refused with a one-line diff (or start over with Overwrite), and the stages partition by data and by module
/// into exactly the single run.
/// </summary>
[Collection("cli")]
public class RunManifestTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    private static FactorRunArguments FactorArgs =>
        new()
        {
            Model = Model,
            Data = Train,
            Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
        };

    private static ScoreRunArguments ScoreArgs(string factors) =>
        new()
        {
            Model = Model,
            Factors = factors,
            Train = Train,
            Queries = Queries,
            Score = new ScoreArguments { ChunkSize = 48 },
        };

    private static byte[] Bytes(string dir, string file) => File.ReadAllBytes(Path.Combine(dir, file));

    private static double MaxRelDiff(Tensor a, Tensor b) =>
        (
            (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max()
            / b.to(ScalarType.Float64).abs().max().clamp_min(1e-30)
        ).item<double>();

    [Fact]
    public void SameArgumentsResumeWithIdenticalFilesAndOtherArgumentsAreRefusedWithTheirDiff()
    {
        string f = Fixtures.TempDir(),
            s = Fixtures.TempDir();
        Assert.True(FactorRun.Run(FactorArgs, f).Complete);
        var lambda = Bytes(f, "lambda.safetensors");
        var written = File.GetLastWriteTimeUtc(Path.Combine(f, "lambda.safetensors"));
        // A rerun with the same arguments (relative paths compare equal once made absolute) reuses every stage.
        Assert.True(
            FactorRun
                .Run(FactorArgs with { Data = Path.GetRelativePath(Environment.CurrentDirectory, Train) }, f)
                .Complete
        );
        Assert.Equal(written, File.GetLastWriteTimeUtc(Path.Combine(f, "lambda.safetensors")));
        Assert.Equal(lambda, Bytes(f, "lambda.safetensors"));

        Assert.True(ScoreRun.Run(ScoreArgs(f), s).Complete);
        var pairwise = Bytes(s, "pairwise.safetensors");
        var manifest = Bytes(s, "manifest.json");
        // Killed after the first chunk: the rest is computed again, and the files are the same bytes.
        var chunks = Directory.GetFiles(Path.Combine(s, "chunks")).Order().ToList();
        Assert.True(chunks.Count >= 2);
        foreach (var c in chunks.Skip(1))
            File.Delete(c);
        File.Delete(Path.Combine(s, "pairwise.safetensors"));
        Assert.True(ScoreRun.Run(ScoreArgs(f), s).Complete);
        Assert.Equal(pairwise, Bytes(s, "pairwise.safetensors"));
        Assert.Equal(manifest, Bytes(s, "manifest.json"));

        // Other arguments: refused, naming what changed, and nothing in the folder is touched.
        var perToken = Assert.Throws<InputArgumentException>(() =>
            ScoreRun.Run(ScoreArgs(f) with { Score = ScoreArgs(f).Score with { PerToken = true } }, s)
        );
        Assert.Contains("arguments.score.per_token: false -> true", perToken.Message);
        Assert.Contains("--overwrite", perToken.Message);
        Assert.DoesNotContain('\n', perToken.Message);
        var damping = Assert.Throws<InputArgumentException>(() =>
            ScoreRun.Run(ScoreArgs(f) with { Score = ScoreArgs(f).Score with { Damping = 1e-3 } }, s)
        );
        Assert.Contains("arguments.score.damping: null -> 0.001", damping.Message);
        Assert.False(File.Exists(Path.Combine(s, "per_token.safetensors")));
        Assert.Equal(pairwise, Bytes(s, "pairwise.safetensors"));
        var strategy = Assert.Throws<InputArgumentException>(() =>
            FactorRun.Run(FactorArgs with { Fit = FactorArgs.Fit with { Strategy = StrategyKind.Kfac } }, f)
        );
        Assert.Contains("arguments.fit.strategy: \"ekfac\" -> \"kfac\"", strategy.Message);
        Assert.Equal(lambda, Bytes(f, "lambda.safetensors"));

        // Overwrite starts over: the per-token scores are written and sum to the pairwise ones.
        Assert.True(
            ScoreRun
                .Run(
                    ScoreArgs(f) with
                    {
                        Score = ScoreArgs(f).Score with { PerToken = true },
                    },
                    s,
                    new RunOptions { Overwrite = true }
                )
                .Complete
        );
        var pt = SafeTensorsFile.Open(Path.Combine(s, "per_token.safetensors")).Read("scores");
        var pw = SafeTensorsFile.Open(Path.Combine(s, "pairwise.safetensors")).Read("scores");
        Assert.True(MaxRelDiff(pt.sum([-1L]), pw) < 1e-4);
    }

    [Fact]
    public void StagesPartitionedByDataAndByModuleEqualTheSingleRun()
    {
        string single = Fixtures.TempDir(),
            parts = Fixtures.TempDir(),
            all = Fixtures.TempDir();
        Assert.True(FactorRun.Run(FactorArgs, single).Complete);
        // The chain a scheduler runs: covariance over 3 data partitions, eigen over 2 module partitions, lambda over 3.
        for (int i = 0; i < 3; i++)
            FactorRun.Run(
                FactorArgs,
                parts,
                new RunOptions { Partition = new Partition(i, 3) },
                FactorStage.Covariance
            );
        Assert.True(File.Exists(Path.Combine(parts, "covariance.safetensors")));
        var e0 = FactorRun.Run(
            FactorArgs,
            parts,
            new RunOptions { Partition = new Partition(0, 2) },
            FactorStage.Eigen
        );
        Assert.False(e0.Complete);
        Assert.False(File.Exists(Path.Combine(parts, "eigen.safetensors")));
        Assert.True(
            FactorRun
                .Run(FactorArgs, parts, new RunOptions { Partition = new Partition(1, 2) }, FactorStage.Eigen)
                .Complete
        );
        for (int i = 0; i < 3; i++)
            FactorRun.Run(FactorArgs, parts, new RunOptions { Partition = new Partition(i, 3) }, FactorStage.Lambda);
        // The last partition of each stage to finish merged it.
        Assert.True(File.Exists(Path.Combine(parts, "lambda.safetensors")));
        Assert.Contains("nothing to merge", FactorFiles.MergeAll(parts));
        foreach (var stage in new[] { "covariance", "eigen", "lambda" })
        {
            var a = SafeTensorsFile.ReadAll(Path.Combine(single, stage + ".safetensors"));
            var b = SafeTensorsFile.ReadAll(Path.Combine(parts, stage + ".safetensors"));
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var k in a.Keys.Where(k => !k.EndsWith("eigenvectors")))
                // Covariances are float32 means: merged, the single run's up to float32 rounding. The eigenbasis and
                // its eigenvalue corrections follow that rounding, amplified by the decomposition.
                Assert.True(
                    MaxRelDiff(b[k], a[k]) <= (stage == "covariance" ? 1e-6 : 1e-5),
                    $"{stage} {k}: {MaxRelDiff(b[k], a[k])}"
                );
        }

        // All stages with data partitions: the first partition past the covariance computes the eigenbases once,
        // the others reuse them.
        for (int i = 0; i < 3; i++)
            FactorRun.Run(FactorArgs, all, new RunOptions { Partition = new Partition(i, 3) });
        for (int i = 0; i < 3; i++)
        {
            FactorRun.Run(FactorArgs, all, new RunOptions { Partition = new Partition(i, 3) });
            if (i == 0)
                Assert.True(File.Exists(Path.Combine(all, "eigen.safetensors")));
        }
        var eigenTime = File.GetLastWriteTimeUtc(Path.Combine(all, "eigen.safetensors"));
        Assert.True(FactorRun.Run(FactorArgs, all).Complete);
        Assert.Equal(eigenTime, File.GetLastWriteTimeUtc(Path.Combine(all, "eigen.safetensors")));
        var l1 = SafeTensorsFile.ReadAll(Path.Combine(single, "lambda.safetensors"));
        var l2 = SafeTensorsFile.ReadAll(Path.Combine(all, "lambda.safetensors"));
        foreach (var k in l1.Keys)
            // Eigenvalue corrections over the eigenbasis of merged float32 covariance means (see above).
            Assert.True(MaxRelDiff(l2[k], l1[k]) <= 1e-5, $"{k}: {MaxRelDiff(l2[k], l1[k])}");

        // Scores from the partitioned factors, partitioned over the same batch plan, equal the single run's.
        string s1 = Fixtures.TempDir(),
            s3 = Fixtures.TempDir();
        ScoreRun.Run(ScoreArgs(single), s1);
        for (int i = 0; i < 3; i++)
            ScoreRun.Run(ScoreArgs(parts), s3, new RunOptions { Partition = new Partition(i, 3) });
        var x = SafeTensorsFile.Open(Path.Combine(s1, "pairwise.safetensors")).Read("scores");
        var y = SafeTensorsFile.Open(Path.Combine(s3, "pairwise.safetensors")).Read("scores");
        // Partitioned factors: float32 covariance means merged, so within float32 rounding amplified (1e-5).
        Assert.True(MaxRelDiff(y, x) <= 1e-5, $"{MaxRelDiff(y, x)}");
    }

    [Fact]
    public void MergeNamesTheMissingPartition()
    {
        string f = Fixtures.TempDir();
        FactorRun.Run(FactorArgs, f, new RunOptions { Partition = new Partition(0, 3) }, FactorStage.Covariance);
        FactorRun.Run(FactorArgs, f, new RunOptions { Partition = new Partition(2, 3) }, FactorStage.Covariance);
        var e = Assert.Throws<InvalidDataException>(() => FactorFiles.MergeAll(f));
        Assert.Contains("'covariance' partitions 1/3 are missing", e.Message);
    }
}
