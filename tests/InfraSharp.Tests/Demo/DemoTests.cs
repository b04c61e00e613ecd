using InfraSharp.Models;

namespace InfraSharp.Tests.Demo;

/// <summary>
/// The main job end to end in --quick mode (the last stage of the architecture: every stage through files). System
/// tier: it trains, evaluates under bubblewrap and retrains for minutes.
/// </summary>
[Collection("cli")]
[Trait("Category", "System")]
public class DemoTests
{
    [Fact]
    public void QuickDemoRunsEveryStage()
    {
        string dir = QuickDemo.Dir,
            text = QuickDemo.Printed;
        foreach (
            var f in new[]
            {
                "data/train.jsonl",
                "data/queries.jsonl",
                "data/eval.jsonl",
                "data/pool.jsonl",
                "model/model.safetensors",
                "model/tokenizer.json",
                "eval/summary.json",
                "queries-correct.jsonl",
                "factors/manifest.json",
                "factors/lambda.safetensors",
                "scores/pairwise.safetensors",
                "scores/per_token.safetensors",
                "analysis/report.html",
                "analysis/example_level.csv",
                "data/train-flip-difficulty.jsonl",
                "data/train-attribute-influence.jsonl",
                "data/train-random-control.jsonl",
            }
        )
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        // The model it trained is a Hugging Face folder that loads, and it learned: held-out loss fell.
        using var m = ModelLoader.Load(Path.Combine(dir, "model"));
        var loss = System.Text.RegularExpressions.Regex.Match(text, @"held-out loss ([\d.]+) -> ([\d.]+)");
        Assert.True(loss.Success);
        Assert.True(
            double.Parse(loss.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)
                < 0.5 * double.Parse(loss.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)
        );
        Assert.Contains("## Cross-domain influence", text);
        Assert.Contains("| domain=math|difficulty=5 |", text);
        Assert.Contains("## Before / after", text);
        foreach (
            var mix in new[] { "| original |", "| flip-difficulty |", "| attribute-influence |", "| random-control |" }
        )
            Assert.Contains(mix, text);
        // Paired differences: every curated mix against the original and the random control, per domain and level,
        // in the printed table, the CSV (with McNemar's p) and the report.
        Assert.Contains("## Paired differences", text);
        var csv = InfraSharp.Storage.CsvTable.Read(Path.Combine(dir, "before-after.csv"));
        foreach (
            var (mix, reference) in new[]
            {
                ("flip-difficulty", "original"),
                ("flip-difficulty", "random-control"),
                ("attribute-influence", "random-control"),
                ("random-control", "original"),
            }
        )
        foreach (var level in new[] { "all", "1", "5" })
            Assert.Contains(csv.Rows, r => r[0] == mix && r[1] == reference && r[2] == "math" && r[3] == level);
        Assert.All(csv.Rows, r =>
            Assert.InRange(double.Parse(r[10].Split(';')[0], System.Globalization.CultureInfo.InvariantCulture), 0, 1)
        );
        Assert.Contains("id=\"before-after-table\"", File.ReadAllText(Path.Combine(dir, "analysis", "report.html")));
        // Every mix is selected from the pool: the original's row count, no row twice, none of the training rows.
        var train = Fixtures.Jsonl(Path.Combine(dir, "data", "train.jsonl")).Select(r => r["id"]!.ToString()).ToList();
        foreach (var mix in new[] { "flip-difficulty", "attribute-influence", "random-control" })
        {
            var ids = Fixtures.Jsonl(Path.Combine(dir, "data", $"train-{mix}.jsonl")).Select(r => r["id"]!.ToString());
            Assert.Equal(train.Count, ids.Count());
            Assert.Equal(train.Count, ids.Distinct().Count());
            Assert.Empty(ids.Intersect(train));
        }
        // One seed: the paired table says its interval covers problem sampling only, and marks nothing.
        string paired = text[text.IndexOf("## Paired differences", StringComparison.Ordinal)..];
        Assert.Contains("the interval covers problem sampling only", paired);
        Assert.DoesNotContain("]*", paired);
        // It ends with the command that opens the explorer on its outputs.
        Assert.Contains("infra explore --scores " + Path.Combine(dir, "scores"), text);
    }

    [Fact]
    public void ARerunOfTheSameDemoReusesItsTrainingsAndGradingsAndPrintsTheSameTables()
    {
        string dir = QuickDemo.Dir,
            first = QuickDemo.Printed;
        // What the demo's journal marks done: the trained models and their graded answers.
        var reused = new[] { "model/model.safetensors", "eval/results.jsonl", "queries-eval/results.jsonl" }
            .Select(f => Path.Combine(dir, f))
            .Concat(Directory.GetFiles(Path.Combine(dir, "retrain"), "model.safetensors", SearchOption.AllDirectories))
            .Concat(Directory.GetFiles(Path.Combine(dir, "retrain"), "results.jsonl", SearchOption.AllDirectories))
            .ToDictionary(f => f, File.GetLastWriteTimeUtc);
        Assert.Equal(3 + 2 * 3, reused.Count);
        var output = new StringWriter();
        var old = Console.Out;
        Console.SetOut(output);
        int rc;
        try
        {
            rc = InfraSharp.Cli.Program.Main(["demo", "--quick", "--seed", "1", "--out", dir]);
        }
        finally
        {
            Console.SetOut(old);
        }
        Assert.Equal(0, rc);
        foreach (var (f, written) in reused)
            Assert.True(written == File.GetLastWriteTimeUtc(f), $"{f} was written again");
        // The same tables, the recorded train + eval times included; only this call's wall time differs.
        static string WithoutWallTime(string s) =>
            System.Text.RegularExpressions.Regex.Replace(s, @"; wall time \d+s", "");
        Assert.Equal(WithoutWallTime(first), WithoutWallTime(output.ToString()));
    }
}
