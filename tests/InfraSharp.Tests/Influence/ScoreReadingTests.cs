using System.Globalization;
using InfraSharp.Influence;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// The readings beside a raw score, against references computed independently: the self-influence a score run
/// stores for its queries is what <c>infra scores self</c> gives on the query file under the same measurement, the
/// normalised reading (× self) is the raw score over it, Δ is the raw score over the training rows, and the analysis
/// table of top examples carries both.
/// </summary>
[Collection("cli")]
public class ScoreReadingTests
{
    private static int Infra(params string[] args) => InfraSharp.Cli.Program.Main(args);

    private static double[] Read(string dir, string file)
    {
        using var t = SafeTensorsFile.Open(Path.Combine(dir, file)).Read("scores");
        return t.to(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    /// <summary><c>infra scores self</c> on the query file, with the folder's factors and measurement.</summary>
    private static double[] SelfOfQueries(string measurement)
    {
        string dir = Fixtures.TempDir();
        Assert.Equal(
            0,
            Infra(
                "scores",
                "self",
                "--model",
                FixtureAnalysis.Model,
                "--factors",
                FixtureAnalysis.Factors,
                "--train",
                FixtureAnalysis.Queries,
                "--measurement",
                measurement,
                "--out",
                dir
            )
        );
        return Read(dir, ScoreFolder.SelfFile);
    }

    [Theory]
    [InlineData("mean-logprob")]
    [InlineData("loss")]
    public void NormalisedScoreIsTheRawScoreOverTheQuerysSelfInfluence(string measurement)
    {
        string scores = measurement == "loss" ? FixtureAnalysis.LossScores : FixtureAnalysis.Scores;
        string analysis = measurement == "loss" ? FixtureAnalysis.LossAnalysis : FixtureAnalysis.Analysis;
        var reference = SelfOfQueries(measurement);
        var stored = Read(scores, ScoreFolder.QuerySelfFile);
        Assert.Equal(reference.Length, stored.Length);
        for (int q = 0; q < stored.Length; q++)
        {
            Assert.True(reference[q] > 0, $"query {q}: self-influence {reference[q]}");
            Assert.True(
                Math.Abs(stored[q] - reference[q]) <= 1e-4 * reference[q],
                $"query {q}: stored {stored[q]}, infra scores self {reference[q]}"
            );
        }
        // The two measurements give different scales (mean vs summed, per answer token): a mix-up would show.
        var other = Read(
            measurement == "loss" ? FixtureAnalysis.Scores : FixtureAnalysis.LossScores,
            "query_self.safetensors"
        );
        Assert.True(Math.Abs(other[0] - stored[0]) > 1e-2 * stored[0]);

        var folder = ScoreFolder.Open(scores);
        var raw = Read(scores, ScoreFolder.PairwiseFile);
        int n = raw.Length / stored.Length;
        var reading = ScoreReading.Of(folder, n);
        Assert.Equal(measurement, reading.MeasurementName);
        for (int q = 0; q < stored.Length; q++)
        for (int j = 0; j < n; j += 7)
        {
            double expect = raw[q * n + j] / reference[q];
            double got = reading.RelativeToSelf(q, raw[q * n + j])!.Value;
            Assert.True(Math.Abs(got - expect) <= 1e-4 * Math.Abs(expect) + 1e-12, $"({q}, {j}): {got} vs {expect}");
            Assert.Equal(measurement == "mean-logprob" ? raw[q * n + j] / n : null, reading.Change(raw[q * n + j]));
        }

        // top_examples.csv: the same readings beside the raw score, per (query, training row).
        var queryIds = ScoreFiles.ReadExamples(scores).Queries.Select(x => x.Id).ToList();
        var trainIds = ScoreFiles.ReadExamples(scores).Train.Select(x => x.Id).ToList();
        var table = CsvTable.Read(Path.Combine(analysis, "top_examples.csv"));
        int Col(string name) => Array.IndexOf(table.Header, name);
        Assert.NotEmpty(table.Rows);
        foreach (var row in table.Rows)
        {
            int q = queryIds.IndexOf(row[Col("query_id")]),
                j = trainIds.IndexOf(row[Col("train_id")]);
            double score = raw[q * n + j];
            Assert.Equal(score, double.Parse(row[Col("score")], CultureInfo.InvariantCulture), 1e-9 * Math.Abs(score));
            double relative = double.Parse(row[Col("relative_to_self")], CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(relative - score / reference[q]) <= 1e-4 * Math.Abs(score / reference[q]));
            string change = row[Col("delta_mean_logprob")];
            if (measurement == "mean-logprob")
                Assert.Equal(score / n, double.Parse(change, CultureInfo.InvariantCulture), 1e-12);
            else
                Assert.Equal("", change);
        }
    }

    [Fact]
    public void AggregatedQueriesSelfInfluenceIsTheMeanGradients()
    {
        // With the loss measurement both sides of a score are summed-loss gradients, so scoring the queries against
        // themselves gives M[q, q'] = ⟨P(G_q), G_q'⟩: its diagonal is each query's self-influence, and its mean is
        // ⟨P(mean G), mean G⟩, the self-influence of the aggregated queries (P is linear).
        string cross = Fixtures.TempDir(),
            aggregate = Fixtures.TempDir();
        ScoreRunArguments Args(bool aggregated) =>
            new()
            {
                Model = FixtureAnalysis.Model,
                Factors = FixtureAnalysis.Factors,
                Train = FixtureAnalysis.Queries,
                Queries = FixtureAnalysis.Queries,
                Score = new ScoreArguments { AggregateQueries = aggregated },
            };
        ScoreRun.Run(Args(false), cross);
        ScoreRun.Run(Args(true), aggregate);
        var m = Read(cross, ScoreFolder.PairwiseFile);
        var self = Read(cross, ScoreFolder.QuerySelfFile);
        int q = self.Length;
        Assert.Equal(q * q, m.Length);
        for (int i = 0; i < q; i++)
            Assert.True(Math.Abs(m[i * q + i] - self[i]) <= 1e-4 * self[i], $"query {i}: {m[i * q + i]} vs {self[i]}");
        double mean = m.Average();
        var stored = Read(aggregate, ScoreFolder.QuerySelfFile);
        Assert.Single(stored);
        Assert.True(Math.Abs(stored[0] - mean) <= 1e-4 * Math.Abs(mean), $"aggregated {stored[0]} vs mean {mean}");
    }

    [Fact]
    public void AFolderWithoutSelfInfluenceReadsRawOnlyAndSaysSo()
    {
        string copy = Fixtures.TempDir();
        foreach (var f in Directory.GetFiles(FixtureAnalysis.Scores))
            File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        File.Delete(Path.Combine(copy, ScoreFolder.QuerySelfFile));
        var reading = ScoreReading.Of(ScoreFolder.Open(copy), 10);
        Assert.False(reading.HasSelf);
        Assert.Null(reading.RelativeToSelf(0, 1.0));
        Assert.Contains("raw scores only", reading.Readings);
        Assert.Equal(0.1, reading.Change(1.0));
        var stored = ScoreReading.Of(ScoreFolder.Open(FixtureAnalysis.Scores), 10);
        Assert.True(stored.HasSelf);
        Assert.DoesNotContain("raw scores only", stored.Readings);
    }
}
