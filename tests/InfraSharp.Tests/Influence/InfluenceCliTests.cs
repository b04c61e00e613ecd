using InfraSharp.Influence;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>The factor and score commands: files, partitions and merge, resume, bad inputs.</summary>
[Collection("cli")]
public class InfluenceCliTests
{
    private static int Infra(params string[] args) => InfraSharp.Cli.Program.Main(args);

    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    private static double MaxRelDiff(Tensor a, Tensor b) =>
        (
            (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max() / b.to(ScalarType.Float64).abs().max()
        ).item<double>();

    private static Tensor Scores(string dir, string file = "pairwise.safetensors") =>
        SafeTensorsFile.Open(Path.Combine(dir, file)).Read("scores");

    [Fact]
    public void PartitionedRunsMergeToTheSingleRun()
    {
        string single = Fixtures.TempDir(),
            parts = Fixtures.TempDir();
        Assert.Equal(0, Infra("factors", "--model", Model, "--data", Train, "--out", single));
        // Covariance slices, merge, then lambda slices (the eigenbasis is computed from the merged covariance), merge.
        for (int stage = 0; stage < 2; stage++)
        {
            for (int i = 0; i < 3; i++)
                Assert.Equal(
                    0,
                    Infra("factors", "--model", Model, "--data", Train, "--out", parts, "--partition", $"{i}/3")
                );
            Assert.Equal(0, Infra("merge", "--factors", parts));
        }
        Assert.Equal(0, Infra("factors", "--model", Model, "--data", Train, "--out", parts));
        foreach (var stage in new[] { "covariance", "eigen", "lambda" })
        {
            var a = SafeTensorsFile.ReadAll(Path.Combine(single, stage + ".safetensors"));
            var b = SafeTensorsFile.ReadAll(Path.Combine(parts, stage + ".safetensors"));
            Assert.Equal(a.Keys.OrderBy(k => k), b.Keys.OrderBy(k => k));
            foreach (var k in a.Keys.Where(k => !k.EndsWith("eigenvectors")))
                // Covariances are float32 means: merged, the single run's up to float32 rounding. The eigenbasis and
                // its eigenvalue corrections follow that rounding, amplified by the decomposition.
                Assert.True(
                    MaxRelDiff(b[k], a[k]) <= (stage == "covariance" ? 1e-6 : 1e-5),
                    $"{stage} {k}: {MaxRelDiff(b[k], a[k])}"
                );
        }
        // Half the bytes of float64 sums: the statistics are float32 means beside their counts.
        var covariance = SafeTensorsFile.ReadAll(Path.Combine(parts, "covariance.safetensors"));
        Assert.All(covariance.Where(kv => !kv.Key.EndsWith(".num_tokens")), kv =>
            Assert.Equal(ScalarType.Float32, kv.Value.dtype)
        );

        string s1 = Fixtures.TempDir(),
            s3 = Fixtures.TempDir();
        Assert.Equal(
            0,
            Infra(
                "scores",
                "pairwise",
                "--model",
                Model,
                "--factors",
                single,
                "--train",
                Train,
                "--queries",
                Queries,
                "--out",
                s1
            )
        );
        for (int i = 0; i < 3; i++)
            Assert.Equal(
                0,
                Infra(
                    "scores",
                    "pairwise",
                    "--model",
                    Model,
                    "--factors",
                    parts,
                    "--train",
                    Train,
                    "--queries",
                    Queries,
                    "--out",
                    s3,
                    "--partition",
                    $"{i}/3",
                    "--chunk-size",
                    "32"
                )
            );
        Assert.Equal(0, Infra("merge", "--scores", s3));
        // Partitioned factors: float32 covariance means merged, so within float32 rounding amplified (1e-5).
        Assert.True(MaxRelDiff(Scores(s3), Scores(s1)) <= 1e-5, $"scores: {MaxRelDiff(Scores(s3), Scores(s1))}");
        Assert.True(File.Exists(Path.Combine(s3, "pairwise.parquet")));
    }

    [Fact]
    public void InterruptedRunsResumeWithTheSameResult()
    {
        string f = Fixtures.TempDir(),
            s = Fixtures.TempDir();
        Assert.Equal(0, Infra("factors", "--model", Model, "--data", Train, "--out", f));
        var lambda = SafeTensorsFile.ReadAll(Path.Combine(f, "lambda.safetensors"));
        var covTime = File.GetLastWriteTimeUtc(Path.Combine(f, "covariance.safetensors"));
        // A run killed during the lambda stage left the earlier stages behind.
        File.Delete(Path.Combine(f, "lambda.safetensors"));
        Assert.Equal(0, Infra("factors", "--model", Model, "--data", Train, "--out", f));
        Assert.Equal(covTime, File.GetLastWriteTimeUtc(Path.Combine(f, "covariance.safetensors")));
        foreach (var (k, v) in SafeTensorsFile.ReadAll(Path.Combine(f, "lambda.safetensors")))
            Assert.True(MaxRelDiff(v, lambda[k]) <= 1e-6);

        string[] args =
        [
            "scores",
            "pairwise",
            "--model",
            Model,
            "--factors",
            f,
            "--train",
            Train,
            "--queries",
            Queries,
            "--out",
            s,
            "--chunk-size",
            "32",
            "--per-token",
        ];
        Assert.Equal(0, Infra(args));
        var full = Scores(s);
        var perToken = Scores(s, "per_token.safetensors");
        var chunks = Directory.GetFiles(Path.Combine(s, "chunks")).OrderBy(x => x).ToList();
        Assert.Equal(4, chunks.Count);
        var firstTime = File.GetLastWriteTimeUtc(chunks[0]);
        // Killed after two chunks: the last two and the assembled files are missing.
        File.Delete(chunks[2]);
        File.Delete(chunks[3]);
        File.Delete(Path.Combine(s, "pairwise.safetensors"));
        File.Delete(Path.Combine(s, "per_token.safetensors"));
        Assert.Equal(0, Infra(args));
        Assert.Equal(firstTime, File.GetLastWriteTimeUtc(chunks[0]));
        Assert.Equal(0.0, MaxRelDiff(Scores(s), full));
        Assert.Equal(0.0, MaxRelDiff(Scores(s, "per_token.safetensors"), perToken));
        // Other arguments: earlier chunks are not reused (the folder is refused unless --overwrite is given).
        Assert.Equal(0, Infra([.. args, "--damping", "1e-3", "--overwrite"]));
        Assert.True(MaxRelDiff(Scores(s), full) > 1e-3);
    }

    [Fact]
    public void SelfScoresAndMeanLogProbMeasurement()
    {
        string f = Fixtures.TempDir(),
            s = Fixtures.TempDir(),
            a = Fixtures.TempDir(),
            l = Fixtures.TempDir();
        Assert.Equal(0, Infra("factors", "--model", Model, "--data", Train, "--out", f, "--modules", "mlp"));
        Assert.Equal(0, Infra("scores", "self", "--model", Model, "--factors", f, "--train", Train, "--out", s));
        var self = Scores(s, "self.safetensors");
        Assert.Equal([128L], self.shape);
        Assert.True(self.min().item<float>() > 0); // ⟨P(G), G⟩ with P positive definite
        Assert.Equal(
            0,
            Infra(
                "scores",
                "pairwise",
                "--model",
                Model,
                "--factors",
                f,
                "--train",
                Train,
                "--queries",
                Queries,
                "--out",
                l
            )
        );
        Assert.Equal(
            0,
            Infra(
                "scores",
                "pairwise",
                "--model",
                Model,
                "--factors",
                f,
                "--train",
                Train,
                "--queries",
                Queries,
                "--out",
                a,
                "--measurement",
                "mean-logprob",
                "--aggregate-queries"
            )
        );
        var agg = Scores(a);
        Assert.Equal([1L, 128L], agg.shape);
        // Mean log-likelihood over the query set = mean over queries of (summed loss / labelled tokens), sign kept.
        var counts = new InfraSharp.Text.ExampleEncoder(InfraSharp.Text.Tokenizer.Load(Model))
            .EncodeFile(Queries)
            .Select(e => (float)e.Labels.Skip(1).Count(x => x != -100))
            .ToArray();
        var expected = (Scores(l) / tensor(counts).unsqueeze(1)).mean([0L], keepdim: true);
        Assert.True(MaxRelDiff(agg, expected) < 1e-4, $"{MaxRelDiff(agg, expected)}");
    }

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        string f = Fixtures.TempDir();
        Assert.Equal(0, Infra("factors", "--model", Model, "--data", Train, "--out", f, "--modules", "mlp"));
        var err = new StringWriter();
        var old = Console.Error;
        Console.SetError(err);
        try
        {
            // Factors from another model.
            Assert.Equal(
                2,
                Infra(
                    "scores",
                    "pairwise",
                    "--model",
                    Fixtures.Model("tiny-qwen2"),
                    "--factors",
                    f,
                    "--train",
                    Train,
                    "--queries",
                    Queries,
                    "--out",
                    Fixtures.TempDir()
                )
            );
            Assert.Contains("another model", err.ToString());
            // A module list that doesn't match.
            Assert.Equal(
                2,
                Infra(
                    "factors",
                    "--model",
                    Model,
                    "--data",
                    Train,
                    "--out",
                    Fixtures.TempDir(),
                    "--modules",
                    "no_such_proj"
                )
            );
            Assert.Contains("matches no Linear layer", err.ToString());
            string g = Fixtures.TempDir();
            File.Copy(Path.Combine(f, "manifest.json"), Path.Combine(g, "manifest.json"));
            foreach (var stage in new[] { "covariance", "eigen", "lambda" })
            {
                var t = SafeTensorsFile.ReadAll(Path.Combine(f, stage + ".safetensors"));
                SafeTensorsFile.Write(
                    Path.Combine(g, stage + ".safetensors"),
                    t.Where(kv => !kv.Key.StartsWith("model.layers.1.mlp.up_proj"))
                );
            }
            Assert.Equal(
                2,
                Infra(
                    "scores",
                    "pairwise",
                    "--model",
                    Model,
                    "--factors",
                    g,
                    "--train",
                    Train,
                    "--queries",
                    Queries,
                    "--out",
                    Fixtures.TempDir()
                )
            );
            Assert.Contains("model.layers.1.mlp.up_proj", err.ToString());
            // An empty dataset.
            string empty = Path.Combine(Fixtures.TempDir(), "empty.jsonl");
            File.WriteAllText(empty, "");
            Assert.Equal(2, Infra("factors", "--model", Model, "--data", empty, "--out", Fixtures.TempDir()));
            Assert.Contains("empty", err.ToString());
            // A sequence over the context length.
            string longRow = Path.Combine(Fixtures.TempDir(), "long.jsonl");
            File.WriteAllText(longRow, "{\"input_ids\":[" + string.Join(",", Enumerable.Repeat(5, 1100)) + "]}\n");
            Assert.Equal(2, Infra("factors", "--model", Model, "--data", longRow, "--out", Fixtures.TempDir()));
            Assert.Contains("exceeds the context length 1024", err.ToString());
            Assert.Contains("long.jsonl:1", err.ToString());
        }
        finally
        {
            Console.SetError(old);
        }
    }

    [Fact]
    public void NaNInACovarianceNamesTheModule()
    {
        var cov = tensor(
            new float[,]
            {
                { 1, 0 },
                { 0, float.NaN },
            }
        );
        var e = Assert.Throws<InvalidDataException>(() =>
            EigenBasis.Decompose(cov, "model.layers.0.mlp.up_proj", "activation")
        );
        Assert.Contains("model.layers.0.mlp.up_proj", e.Message);
        Assert.Contains("NaN", e.Message);
    }
}
