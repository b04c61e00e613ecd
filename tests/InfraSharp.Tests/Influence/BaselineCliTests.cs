using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// <c>infra scores pairwise --strategy random|repsim|bm25</c>: no factors, the usual score folder (same files, shape
/// and manifest), seeded random scores, and the refusals of options a baseline does not take.
/// </summary>
[Collection("cli")]
public class BaselineCliTests
{
    private static int Infra(params string[] args) => InfraSharp.Cli.Program.Main(args);

    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    private static string[] Pairwise(string outDir, params string[] more) =>
        ["scores", "pairwise", "--model", Model, "--train", Train, "--queries", Queries, "--out", outDir, .. more];

    private static double[] Scores(string dir) =>
        SafeTensorsFile
            .Open(Path.Combine(dir, ScoreFolder.PairwiseFile))
            .Read(ScoreFolder.ScoresTensor)
            .to(ScalarType.Float64)
            .contiguous()
            .data<double>()
            .ToArray();

    [Fact]
    public void Bm25WithoutFactorsWritesTheUsualScoreFolder()
    {
        string dir = Fixtures.TempDir();
        Assert.Equal(0, Infra(Pairwise(dir, "--strategy", "bm25", "--chunk-size", "50")));
        var folder = ScoreFolder.Open(dir);
        Assert.Equal(StrategyKind.Bm25, folder.Arguments.Strategy);
        Assert.Null(folder.Arguments.Factors);
        Assert.Equal("bm25", folder.Plan.Strategy);
        Assert.Null(folder.Inputs.Factors);
        foreach (var f in new[] { ScoreFolder.PairwiseFile, ScoreFolder.TableFile, ScoreFolder.ExamplesFile })
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        var t = SafeTensorsFile.Open(Path.Combine(dir, ScoreFolder.PairwiseFile)).Read(ScoreFolder.ScoresTensor);
        Assert.Equal([8L, 128L], t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);

        // The same numbers as BM25 over the rows' token ids, the corpus being the whole training set.
        using var lm = LoadedModel.Load(Model);
        var q = lm.Encode(Queries).Select(e => e.InputIds).ToList();
        var d = lm.Encode(Train).Select(e => e.InputIds).ToList();
        var expected = Bm25Scores.Matrix(q, d);
        var got = Scores(dir);
        for (int i = 0; i < q.Count; i++)
        for (int j = 0; j < d.Count; j++)
            Assert.Equal(expected[i, j], got[i * d.Count + j], 1e-4 * Math.Max(1, Math.Abs(expected[i, j])));
    }

    [Fact]
    public void CurationTakesABaselineScoreFolder()
    {
        string scores = Fixtures.TempDir(),
            curated = Path.Combine(Fixtures.TempDir(), "curated.jsonl");
        Assert.Equal(0, Infra(Pairwise(scores, "--strategy", "bm25")));
        Assert.Equal(
            0,
            Infra(
                "curate",
                "--data",
                Train,
                "--strategy",
                "influence-top",
                "--scores",
                scores,
                "--fraction",
                "0.25",
                "--out",
                curated
            )
        );
        var rows = Fixtures.Jsonl(curated).ToList();
        Assert.Equal(32, rows.Count);
        Assert.All(rows, r => Assert.NotNull(r["influence"]));
    }

    [Fact]
    public void AnalysisTakesABaselineScoreFolder()
    {
        string scores = Fixtures.TempDir(),
            report = Fixtures.TempDir();
        Assert.Equal(0, Infra(Pairwise(scores, "--strategy", "repsim")));
        Assert.Equal(0, Infra("analyze", "--scores", scores, "--train", Train, "--queries", Queries, "--out", report));
        Assert.True(File.Exists(Path.Combine(report, "example_level.csv")));
        // No gradient model of an edited row: the counterfactual is skipped, the rest is written.
        Assert.DoesNotContain(
            "without_exploration_change",
            File.ReadAllText(Path.Combine(report, "sequence_level.csv"))
        );
    }

    [Fact]
    public void RandomIsSeededAndPartitionsMergeToTheSingleRun()
    {
        string a = Fixtures.TempDir(),
            b = Fixtures.TempDir(),
            c = Fixtures.TempDir(),
            parts = Fixtures.TempDir();
        Assert.Equal(0, Infra(Pairwise(a, "--strategy", "random", "--seed", "3")));
        Assert.Equal(0, Infra(Pairwise(b, "--strategy", "random", "--seed", "3", "--chunk-size", "17")));
        Assert.Equal(0, Infra(Pairwise(c, "--strategy", "random", "--seed", "4")));
        for (int i = 0; i < 2; i++)
            Assert.Equal(0, Infra(Pairwise(parts, "--strategy", "random", "--seed", "3", "--partition", $"{i}/2")));
        Assert.Equal(Scores(a), Scores(b));
        Assert.Equal(Scores(a), Scores(parts));
        Assert.NotEqual(Scores(a), Scores(c));
        Assert.Equal(3, ScoreFolder.Open(a).Arguments.Score.Seed);
        var expected = RandomScores.Matrix(3, 8, 128);
        Assert.Equal((float)expected[5, 77], (float)Scores(a)[5 * 128 + 77]);
    }

    [Fact]
    public void BadInputNamesTheOption()
    {
        string dir = Fixtures.TempDir();
        var old = Console.Error;
        string Refused(params string[] args)
        {
            var err = new StringWriter();
            Console.SetError(err);
            try
            {
                Assert.Equal(2, Infra(args));
            }
            finally
            {
                Console.SetError(old);
            }
            string line = err.ToString().Trim();
            Assert.DoesNotContain('\n', line);
            return line;
        }
        Assert.Contains("--factors", Refused(Pairwise(dir, "--strategy", "ekfac")));
        Assert.Contains("--factors", Refused(Pairwise(dir, "--strategy", "bm25", "--factors", dir)));
        Assert.Contains("--per-token", Refused(Pairwise(dir, "--strategy", "repsim", "--per-token")));
        Assert.Contains("--damping", Refused(Pairwise(dir, "--strategy", "random", "--damping", "0.1")));
        Assert.Contains(
            "--strategy",
            Refused("factors", "--model", Model, "--data", Train, "--strategy", "bm25", "--out", dir)
        );
        Assert.Contains(
            "--strategy",
            Refused("scores", "self", "--model", Model, "--train", Train, "--strategy", "random", "--out", dir)
        );
    }
}
