using InfraSharp.Evaluation;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Validation;

public class BeforeAfterComparisonTests
{
    private static List<SampleResult> Graded(params (string Id, string Domain, string Level, bool Correct)[] xs) =>
        xs.Select(x => new SampleResult(x.Id, 0, x.Domain, x.Level, "", null, x.Correct, "")).ToList();

    [Fact]
    public void PairsProblemsByIdAndSeedsBySeed()
    {
        // The mix gains m1 and c1 on seed 1; on seed 2 it loses m2. Results come in different orders per run.
        var runs = new List<BeforeAfterComparison.Run>
        {
            new(
                "original",
                1,
                Graded(("m1", "math", "1", false), ("m2", "math", "2", true), ("c1", "code", "1", false))
            ),
            new("original", 2, Graded(("c1", "code", "1", true), ("m2", "math", "2", true), ("m1", "math", "1", true))),
            new("flip", 1, Graded(("m2", "math", "2", true), ("m1", "math", "1", true), ("c1", "code", "1", true))),
            new("flip", 2, Graded(("m1", "math", "1", true), ("m2", "math", "2", false), ("c1", "code", "1", true))),
            new(
                "random-control",
                1,
                Graded(("m1", "math", "1", false), ("m2", "math", "2", true), ("c1", "code", "1", false))
            ),
        };
        var rows = BeforeAfterComparison.Compare(runs, ["original", "random-control"], seed: 1);
        var mathAll = rows.Single(r =>
            r.Mix == "flip" && r.Reference == "original" && r.Domain == "math" && r.Level == "all"
        );
        // Seed 1: m1 +1, m2 0; seed 2: m1 0, m2 -1 -> mean over 4 pairs 0.
        Assert.Equal(0.0, mathAll.Comparison.Difference, 12);
        Assert.Equal(2, mathAll.Comparison.Seeds);
        Assert.Equal(2, mathAll.Comparison.Problems);
        Assert.Equal([1.0, 1.0], mathAll.Comparison.McNemarP);
        var code = rows.Single(r =>
            r.Mix == "flip" && r.Reference == "original" && r.Domain == "code" && r.Level == "1"
        );
        Assert.Equal(0.5, code.Comparison.Difference, 12);
        // Only seed 1 exists for the random control: the flip mix is compared with it on that seed alone.
        var vsControl = rows.Single(r =>
            r.Mix == "flip" && r.Reference == "random-control" && r.Domain == "math" && r.Level == "1"
        );
        Assert.Equal((1.0, 1), (vsControl.Comparison.Difference, vsControl.Comparison.Seeds));
        // The random control is compared with the original, and nothing with itself or the original with a later
        // reference.
        Assert.Contains(rows, r => r.Mix == "random-control" && r.Reference == "original");
        Assert.DoesNotContain(rows, r => r.Mix == r.Reference || r.Mix == "original");
        Assert.Contains("| flip | original |", BeforeAfterComparison.Markdown(rows));
    }

    // A mix that answers 60 of 100 math problems which the reference misses, on every one of k seeds: a large,
    // stable gain whose CI excludes zero at any number of seeds.
    private static List<BeforeAfterComparison.Row> Gain(int seeds)
    {
        var runs = new List<BeforeAfterComparison.Run>();
        for (int s = 0; s < seeds; s++)
        {
            var ids = Enumerable.Range(0, 100).Select(i => $"m{i}").ToList();
            runs.Add(new("original", s, Graded([.. ids.Select(i => (i, "math", "1", false))])));
            runs.Add(new("flip", s, Graded([.. ids.Select((i, k) => (i, "math", "1", k < 60 + s))])));
        }
        return BeforeAfterComparison.Compare(runs, ["original"], seed: 3);
    }

    [Fact]
    public void UnderThreeSeedsNoCellIsMarkedAndTheTableSaysWhy()
    {
        foreach (int seeds in new[] { 1, 2 })
        {
            var rows = Gain(seeds);
            Assert.All(rows, r => Assert.True(r.Comparison.CiLow > 0));
            Assert.All(rows, r => Assert.False(r.Comparison.Distinguishable));
            string md = BeforeAfterComparison.Markdown(rows);
            Assert.DoesNotContain("*", md);
            Assert.DoesNotContain("MDD", md.Split('\n', 2)[1]);
            Assert.Contains("the interval covers problem sampling only", md.Split('\n')[0]);
            Assert.Contains("--seeds 5", md);
        }
    }

    [Fact]
    public void FromThreeSeedsCellsAreMarkedWithTheirMinimalDetectableDifference()
    {
        var rows = Gain(3);
        var all = rows.Single(r => r.Level == "all");
        Assert.True(all.Comparison.Distinguishable);
        Assert.Equal((1.959964 + 0.841621) * all.Comparison.StandardError, all.Comparison.MinimalDetectable, 12);
        Assert.InRange(all.Comparison.MinimalDetectable, 0.05, 0.3);
        string md = BeforeAfterComparison.Markdown(rows);
        Assert.Contains("*", md);
        Assert.Contains("MDD", md);
        string csv = Path.Combine(Fixtures.TempDir(), "paired.csv");
        BeforeAfterComparison.WriteCsv(csv, rows);
        var t = InfraSharp.Storage.CsvTable.Read(csv);
        int mdd = t.Column("mdd", csv);
        Assert.All(t.Rows, r =>
            Assert.True(double.Parse(r[mdd], System.Globalization.CultureInfo.InvariantCulture) > 0)
        );
    }
}
