using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// The baseline score sources against hand computations: BM25 on a three-document corpus, representation
/// similarity from hidden states recovered out of the model's own logits, the random scores' determinism.
/// </summary>
public class BaselineScoresTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    [Fact]
    public void Bm25EqualsTheHandComputationOnThreeDocuments()
    {
        // N = 3, |d| = 3, 4, 2, avgdl = 3; n_1 = n_2 = 2, n_6 = 1.
        int[][] docs =
        [
            [1, 2, 3],
            [1, 1, 4, 5],
            [2, 6],
        ];
        int[][] queries =
        [
            [1, 2, 2],
            [6],
            [7],
        ];
        var m = Bm25Scores.Matrix(queries, docs);
        double idf12 = Math.Log(1 + (3 - 2 + 0.5) / (2 + 0.5)),
            idf6 = Math.Log(1 + (3 - 1 + 0.5) / (1 + 0.5));
        double k1 = 1.2,
            b = 0.75;
        double Norm(int len) => k1 * (1 - b + b * len / 3.0);
        double Term(double idf, int f, int len) => idf * f * (k1 + 1) / (f + Norm(len));
        // Query [1, 2, 2]: token 2 occurs twice in the query, so it counts twice.
        Assert.Equal(Term(idf12, 1, 3) + 2 * Term(idf12, 1, 3), m[0, 0], 12);
        Assert.Equal(3 * idf12, m[0, 0], 12); // |d| = avgdl and f = 1: each term is exactly idf
        Assert.Equal(Term(idf12, 2, 4), m[0, 1], 12);
        Assert.Equal(idf12 * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 4 / 3.0)), m[0, 1], 12);
        Assert.Equal(2 * Term(idf12, 1, 2), m[0, 2], 12);
        Assert.Equal(0, m[1, 0]);
        Assert.Equal(0, m[1, 1]);
        Assert.Equal(idf6 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 2 / 3.0)), m[1, 2], 12);
        // A token in no document scores 0 everywhere.
        Assert.Equal([0.0, 0, 0], Enumerable.Range(0, 3).Select(j => m[2, j]));
    }

    [Fact]
    public void RandomScoresAreSeededStandardNormals()
    {
        var a = RandomScores.Matrix(7, 50, 400);
        Assert.Equal(a, RandomScores.Matrix(7, 50, 400));
        Assert.NotEqual(a[0, 0], RandomScores.Matrix(8, 50, 400)[0, 0]);
        var all = a.Cast<double>().ToArray();
        double mean = all.Average(),
            sd = Math.Sqrt(all.Average(x => (x - mean) * (x - mean)));
        Assert.InRange(mean, -0.03, 0.03);
        Assert.InRange(sd, 0.97, 1.03);
        // A column does not depend on how many columns are drawn (chunks and partitions give the same file).
        Assert.Equal(a[3, 123], RandomScores.Matrix(7, 50, 124)[3, 123]);
    }

    [Fact]
    public void RepsimEqualsCosineOfHiddenStatesRecoveredFromTheLogits()
    {
        string dir = Fixtures.TempDir();
        var r = ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Model,
                Train = Train,
                Queries = Queries,
                Strategy = StrategyKind.Repsim,
                Score = new ScoreArguments { TokensPerBatch = 2048, ChunkSize = 40 },
            },
            dir
        );
        Assert.True(r.Complete);
        var scores = SafeTensorsFile.Open(Path.Combine(dir, ScoreFolder.PairwiseFile)).Read(ScoreFolder.ScoresTensor);
        var got = scores.to(ScalarType.Float64).contiguous().data<double>().ToArray();

        // By hand: each example alone (no padding, no batching) through the model's logits; the last hidden state
        // h [T, hidden] is recovered from logits = h·Wᵀ by least squares in float64 (W [vocab 824, hidden 64] has
        // full column rank), then the mean over the answer tokens and the cosine are taken in double.
        using var lm = LoadedModel.Load(Model);
        var w = lm.Model.Parameters["lm_head.weight"].detach().to(ScalarType.Float64);
        var gram = matmul(w.transpose(0, 1), w);
        double[] Mean(EncodedExample e)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var logits = lm.Model.Forward(tensor(e.InputIds.Select(i => (long)i).ToArray(), [1, e.Length]))[0];
            var h = linalg.solve(gram, matmul(w.transpose(0, 1), logits.to(ScalarType.Float64).transpose(0, 1)));
            var states = h.transpose(0, 1).contiguous().data<double>().ToArray(); // [T, hidden]
            int hidden = (int)w.shape[1];
            var answer = Enumerable.Range(0, e.Length).Where(t => e.Labels[t] != EncodedExample.IgnoreIndex).ToList();
            Assert.NotEmpty(answer);
            var mean = new double[hidden];
            foreach (int t in answer)
                for (int k = 0; k < hidden; k++)
                    mean[k] += states[t * hidden + k] / answer.Count;
            return mean;
        }
        static double Cosine(double[] a, double[] b) =>
            a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(y => y * y));

        var queries = lm.Encode(Queries).Select(Mean).ToList();
        var train = lm.Encode(Train).Select(Mean).ToList();
        Assert.Equal(queries.Count * train.Count, got.Length);
        double worst = 0;
        for (int q = 0; q < queries.Count; q++)
        for (int j = 0; j < train.Count; j++)
            worst = Math.Max(worst, Math.Abs(got[q * train.Count + j] - Cosine(queries[q], train[j])));
        Assert.True(worst < 1e-4, $"repsim differs from the hand cosine by {worst}");
        // Not a constant: the rows differ.
        Assert.True(got.Max() - got.Min() > 1e-3);
    }
}
