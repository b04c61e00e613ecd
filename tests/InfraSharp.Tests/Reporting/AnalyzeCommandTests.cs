namespace InfraSharp.Tests.Reporting;

/// <summary>
/// <c>infra analyze</c> from the CLI on the shared fixture scores (<see cref="FixtureAnalysis"/>): every table, in CSV
/// and Parquet, and a self-contained report. The report's rendering in a browser is <see cref="ReportBrowserTests"/>.
/// </summary>
[Collection("cli")]
public class AnalyzeCommandTests
{
    private static int Infra(params string[] args) => InfraSharp.Cli.Program.Main(args);

    [Fact]
    public void AnalyzeWritesEveryTableAndASelfContainedReport()
    {
        string train = FixtureAnalysis.Train,
            queries = FixtureAnalysis.Queries;
        string r = Fixtures.TempDir();
        Assert.Equal(
            0,
            Infra("analyze", "--scores", FixtureAnalysis.Scores, "--train", train, "--queries", queries, "--out", r)
        );
        foreach (var name in new[] { "example_level", "sequence_level", "token_level", "top_examples" })
        {
            Assert.True(File.Exists(Path.Combine(r, name + ".csv")), name);
            Assert.True(File.Exists(Path.Combine(r, name + ".parquet")), name);
        }
        var csv = File.ReadAllLines(Path.Combine(r, "example_level.csv"));
        Assert.Equal("query_group,train_group,n,mean,median,sum,ci_low,ci_high,mean_raw,normalization", csv[0]);
        Assert.Equal(1 + 2 * 10, csv.Length); // 2 query domains x (2 domains x 5 levels)
        Assert.Contains("exploration", File.ReadAllText(Path.Combine(r, "sequence_level.csv")));
        Assert.Contains("without_exploration_change", File.ReadAllText(Path.Combine(r, "sequence_level.csv")));
        string html = File.ReadAllText(Path.Combine(r, "report.html"));
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("<script", html);
    }
}
