using System.Text.Json.Nodes;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Index;

/// <summary>
/// Two-stage queries (<c>infra index query --rescore exact</c>): the rows returned carry the exact scores
/// <c>infra scores pairwise</c> gives them with the same factors, measurement and damping, ranked by those; with
/// every row a candidate the top and bottom k are exactly the score run's.
/// </summary>
public class RescoringTests
{
    private const string Model = "tiny-qwen2";
    private static readonly string Train = Fixtures.Path_(Model, "train.jsonl"),
        Queries = Fixtures.Path_(Model, "queries.jsonl");

    // System tier: factors, scores, an index and two queries, over 20 s.
    [Fact]
    [Trait("Category", "System")]
    public void RescoredRowsCarryTheScoreRunsExactScores()
    {
        string root = Fixtures.TempDir(),
            factors = Path.Combine(root, "factors"),
            scores = Path.Combine(root, "scores"),
            index = Path.Combine(root, "index");
        FactorRun.Run(new FactorRunArguments { Model = Fixtures.Model(Model), Data = Train }, factors);
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Fixtures.Model(Model),
                Factors = factors,
                Train = Train,
                Queries = Queries,
                Score = new ScoreArguments { Damping = 1e-3 },
            },
            scores
        );
        var exact = SafeTensorsFile
            .Open(Path.Combine(scores, ScoreFolder.PairwiseFile))
            .Read(ScoreFolder.ScoresTensor)
            .to(ScalarType.Float64);
        var trainIds = Fixtures.Jsonl(Train).Select(r => r["id"]!.ToString()).ToList();
        int n = trainIds.Count;
        // A coarse store (8 dimensions), so that its own order differs from the exact one.
        IndexBuildRun.Run(
            new IndexBuildRunArguments
            {
                Train = Train,
                Index = new IndexArguments
                {
                    Model = Fixtures.Model(Model),
                    ProjectionDim = ProjectionSpec.Parse("8"),
                    Factors = factors,
                    ShardRows = 40,
                    TokensPerBatch = 2048,
                },
            },
            index
        );
        foreach (int candidates in new[] { 20, n })
        {
            string q = Path.Combine(root, $"q{candidates}");
            IndexQueryRun.Run(
                new IndexQueryRunArguments
                {
                    Index = index,
                    Queries = Queries,
                    Model = Fixtures.Model(Model),
                    TopK = 5,
                    Damping = 1e-3,
                    Rescore = IndexRescore.Exact,
                    Factors = factors,
                    RescoreK = candidates,
                },
                q
            );
            var lines = File.ReadAllLines(Path.Combine(q, IndexQueryFolder.TopFile)).Select(l => JsonNode.Parse(l)!);
            int qi = 0;
            foreach (var line in lines)
            {
                foreach (var side in new[] { "top", "bottom" })
                {
                    var ids = line[$"{side}_ids"]!.AsArray().Select(x => x!.ToString()).ToList();
                    var got = line[$"{side}_scores"]!.AsArray().Select(x => x!.GetValue<double>()).ToList();
                    Assert.Equal(5, ids.Count);
                    for (int j = 0; j < ids.Count; j++)
                    {
                        double want = exact[qi, trainIds.IndexOf(ids[j])].item<double>();
                        // The same computation over other batches of rows: equal up to float32 summation order.
                        Assert.True(
                            Math.Abs(got[j] - want) <= 1e-5 * Math.Max(1, Math.Abs(want)),
                            $"{side} {ids[j]}: {got[j]} vs {want}"
                        );
                    }
                    if (candidates == n)
                    {
                        // Every row a candidate: exactly the score run's order.
                        var row = Enumerable.Range(0, n).Select(e => exact[qi, e].item<double>()).ToList();
                        var order =
                            side == "top"
                                ? Enumerable.Range(0, n).OrderByDescending(e => row[e])
                                : Enumerable.Range(0, n).OrderBy(e => row[e]);
                        Assert.Equal(order.Take(5).Select(e => trainIds[e]), ids);
                    }
                }
                qi++;
            }
        }
    }

    [Fact]
    public void ExactRescoringNeedsFactorsAndAModel()
    {
        var args = new IndexQueryRunArguments
        {
            Index = Fixtures.TempDir(),
            Queries = Queries,
            Rescore = IndexRescore.Exact,
        };
        Assert.Contains("model", Assert.ThrowsAny<ArgumentException>(() => args.Validate()).Message);
        var noFactors = args with { Model = Fixtures.Model(Model) };
        Assert.Contains("factors", Assert.ThrowsAny<ArgumentException>(() => noFactors.Validate()).Message);
        var fewer = noFactors with { Factors = Fixtures.TempDir(), RescoreK = 3, TopK = 5 };
        Assert.Contains("rescore_k", Assert.ThrowsAny<ArgumentException>(() => fewer.Validate()).Message);
    }
}
