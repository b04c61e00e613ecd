using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// The in-memory scoring session gives the numbers a score run writes: a new answer (a row given as an object, as
/// the explorer passes it) scored against the training set through the session equals <see cref="ScoreRun"/> on a
/// queries file holding that row.
/// </summary>
public class ScoringSessionTests
{
    [Fact]
    public void ANewAnswerScoredThroughTheSessionEqualsTheScoreRun()
    {
        string dir = Fixtures.TempDir(),
            factors = Path.Combine(dir, "factors"),
            scores = Path.Combine(dir, "scores"),
            queries = Path.Combine(dir, "query.jsonl"),
            train = Fixtures.Path_("tiny-llama", "train.jsonl"),
            model = Fixtures.Model("tiny-llama");
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = model,
                Data = train,
                Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
            },
            factors
        );
        var answer = new JsonObject
        {
            ["id"] = "new-answer",
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "What is 17 + 25?" },
                new JsonObject { ["role"] = "assistant", ["content"] = "17 + 25 = 42. The answer is 42." }
            ),
        };
        File.WriteAllText(queries, answer.ToJsonString() + "\n");
        var args = new ScoreRunArguments
        {
            Model = model,
            Factors = factors,
            Train = train,
            Queries = queries,
            // Small chunks: the session must assemble its chunks exactly as the run's files are assembled.
            Score = new ScoreArguments { Measurement = Measurement.MeanLogProb, ChunkSize = 24 },
        };
        ScoreRun.Run(args, scores);
        using var written = SafeTensorsFile.Open(Path.Combine(scores, "pairwise.safetensors")).Read("scores");
        var expected = written.to(TorchSharp.torch.ScalarType.Float64).contiguous().data<double>().ToArray();

        using var session = ScoringSession.Open(args);
        var trainExamples = session.Model.Encode(train);
        var got = session.Score([session.Encode(answer)], trainExamples);

        Assert.Equal(1, got.GetLength(0));
        Assert.Equal(expected.Length, got.GetLength(1));
        double scale = expected.Max(Math.Abs);
        Assert.True(scale > 0, "the scores are all zero: the comparison would prove nothing");
        for (int j = 0; j < expected.Length; j++)
            Assert.True(
                Math.Abs(got[0, j] - expected[j]) <= 1e-6 * Math.Max(Math.Abs(expected[j]), 1e-3 * scale),
                $"training row {j}: session {got[0, j]:R}, score run {expected[j]:R}"
            );
        // A second answer reuses the open session (no file written, nothing reloaded) and differs from the first.
        var other = (JsonObject)answer.DeepClone();
        other["messages"]![1]!["content"] = "I am not sure.";
        var second = session.Score([session.Encode(other)], trainExamples);
        Assert.NotEqual(got[0, 0], second[0, 0]);
    }
}
