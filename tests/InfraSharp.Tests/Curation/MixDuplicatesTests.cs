using System.Text.Json.Nodes;
using InfraSharp.Curation;
using InfraSharp.Storage;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Tests.Curation;

/// <summary>Replace mode without a pool states how many rows it duplicated, in the summary and the manifest.</summary>
public class MixDuplicatesTests
{
    private static List<JsonObject> Rows() =>
        SyntheticDataset
            .Generate(
                new SyntheticDataset.Options
                {
                    Seed = 2,
                    Size = 200,
                    QueriesPerCell = 1,
                    EvalPerCell = 1,
                }
            )
            .Train;

    [Theory]
    [InlineData(CurationStrategy.RandomControl)]
    [InlineData(CurationStrategy.FlipDifficulty)]
    public void ReplaceWithoutAPoolReportsItsDuplicates(CurationStrategy strategy)
    {
        string dir = Fixtures.TempDir();
        string data = Path.Combine(dir, "train.jsonl");
        var rows = Rows();
        JsonlFile.Write(data, rows);
        CurationResult Curate(string name, CurationMode mode) =>
            CurationRun.Run(
                new CurationRunArguments
                {
                    Data = data,
                    Strategy = strategy,
                    Mode = mode,
                    Seed = 3,
                },
                Path.Combine(dir, name)
            );
        var replaced = Curate("r.jsonl", CurationMode.Replace);
        int want = replaced.Rows.Count - replaced.Rows.Select(r => r["id"]!.ToString()).Distinct().Count();
        Assert.True(want > 0);
        Assert.Equal(want, replaced.Duplicates);
        Assert.Contains($"{want} of {rows.Count} rows are duplicates", replaced.Summary);
        Assert.Equal(want, CurationManifest.Open(Path.Combine(dir, "r.jsonl")).Info!.Duplicates);

        var weighted = Curate("w.jsonl", CurationMode.Weight);
        Assert.Null(weighted.Duplicates);
        Assert.DoesNotContain("duplicates", weighted.Summary);
    }

    [Fact]
    public void RowsWithoutIdsAreComparedByTheirText()
    {
        var a = new JsonObject { ["text"] = "one", ["weight"] = 1.0 };
        var b = new JsonObject { ["text"] = "two" };
        var a2 = new JsonObject { ["text"] = "one", ["weight"] = 2.0 };
        Assert.Equal(1, MixDuplicates.Count([a, b, a2]));
    }
}
