using System.Text.Json.Nodes;
using InfraSharp.Curation;
using InfraSharp.Storage;
using InfraSharp.Training.Synthetic;

namespace InfraSharp.Tests.Curation;

/// <summary>
/// The random control as a curation strategy: seeded (same seed, same file), the training set's size (so that with
/// the demo's shared token budget it trains as long as every mix), drawn with replacement, and selectable by name.
/// </summary>
[Collection("cli")]
public class RandomControlTests
{
    private static List<JsonObject> Rows() =>
        SyntheticDataset
            .Generate(
                new SyntheticDataset.Options
                {
                    Seed = 2,
                    Size = 500,
                    QueriesPerCell = 1,
                    EvalPerCell = 1,
                }
            )
            .Train;

    private static string Id(JsonObject r) => r["id"]!.ToString();

    [Fact]
    public void TheControlIsSeededHasTheTrainingSetsSizeAndDrawsWithReplacement()
    {
        string dir = Fixtures.TempDir();
        string data = Path.Combine(dir, "train.jsonl");
        var rows = Rows();
        JsonlFile.Write(data, rows);
        string Curate(string name, int seed, CurationMode mode = CurationMode.Replace)
        {
            string path = Path.Combine(dir, name);
            CurationRun.Run(
                new CurationRunArguments
                {
                    Data = data,
                    Strategy = CurationStrategy.RandomControl,
                    Mode = mode,
                    Seed = seed,
                },
                path
            );
            return path;
        }
        string a = Curate("a.jsonl", 5),
            b = Curate("b.jsonl", 5),
            c = Curate("c.jsonl", 6);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));

        var drawn = Fixtures.Jsonl(a).ToList();
        Assert.Equal(rows.Count, drawn.Count);
        Assert.All(drawn, r => Assert.Equal(1.0, LevelDistribution.Weight(r)));
        // Drawn from the training rows with replacement: every field kept, some rows twice, some not at all.
        var byId = rows.ToDictionary(Id);
        Assert.All(drawn, r =>
        {
            var o = (JsonObject)r.DeepClone();
            o.Remove("weight");
            Assert.True(JsonNode.DeepEquals(byId[Id(r)], o), Id(r));
        });
        Assert.True(drawn.Select(Id).Distinct().Count() < rows.Count);
        // The demo's control as it always drew it: uniform indices from the curation seed offset by 7919.
        var rng = new Random(5 + 7919);
        Assert.Equal(rows.Select(_ => Id(rows[rng.Next(rows.Count)])), drawn.Select(Id));

        // Weight mode: every row once, weighted by how often the same draw picked it; the weighted size is the same.
        var weighted = Fixtures.Jsonl(Curate("w.jsonl", 5, CurationMode.Weight)).ToList();
        Assert.Equal(rows.Select(Id), weighted.Select(Id));
        Assert.Equal(rows.Count, weighted.Sum(LevelDistribution.Weight), 9);
        var counts = drawn.GroupBy(Id).ToDictionary(g => g.Key, g => (double)g.Count());
        Assert.All(weighted, r => Assert.Equal(counts.GetValueOrDefault(Id(r)), LevelDistribution.Weight(r)));
    }

    [Fact]
    public void InfraCurateSelectsTheRandomControlByName()
    {
        string dir = Fixtures.TempDir();
        string data = Path.Combine(dir, "train.jsonl"),
            output = Path.Combine(dir, "control.jsonl");
        JsonlFile.Write(data, Rows());
        int rc = InfraSharp.Cli.Program.Main([
            "curate",
            "--data",
            data,
            "--out",
            output,
            "--strategy",
            "random-control",
            "--seed",
            "5",
        ]);
        Assert.Equal(0, rc);
        Assert.Equal(500, Fixtures.Jsonl(output).Count());
        Assert.Equal(
            "random-control",
            JsonFile.ReadObject(CurationManifest.PathFor(output))["arguments"]!["strategy"]!.ToString()
        );
    }
}
