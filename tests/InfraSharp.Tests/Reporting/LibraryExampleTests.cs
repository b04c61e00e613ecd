namespace InfraSharp.Tests.Reporting;

/// <summary>The README's library example (one copy, <c>tests/PackageConsumer/ReadmeExample.cs</c>, which the package
/// consumer also runs) on the fixture model, from a folder holding its files.</summary>
[Collection("cli")]
public class LibraryExampleTests
{
    [Fact]
    public void TheReadmeExampleRuns()
    {
        string dir = Fixtures.TempDir();
        Directory.CreateSymbolicLink(Path.Combine(dir, "model"), Fixtures.Model("tiny-llama"));
        File.Copy(Fixtures.Path_("tiny-llama", "train.jsonl"), Path.Combine(dir, "train.jsonl"));
        File.Copy(Fixtures.Path_("tiny-llama", "queries.jsonl"), Path.Combine(dir, "queries.jsonl"));
        string old = Environment.CurrentDirectory;
        Environment.CurrentDirectory = dir;
        var output = new StringWriter();
        var progress = new StringWriter(); // the README prints to Console.Error; here it is kept to be checked
        var (stdout, stderr) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(progress);
        try
        {
            InfraSharp.Examples.ReadmeExample.Run(); // tests/PackageConsumer/ReadmeExample.cs
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
            Environment.CurrentDirectory = old;
        }
        foreach (
            var f in new[]
            {
                "factors/lambda.safetensors",
                "scores/per_token.safetensors",
                "analysis/report.html",
                "analysis/manifest.json",
            }
        )
            Assert.True(File.Exists(Path.Combine(dir, f)), f);
        Assert.Contains("| training group |", output.ToString());
        // The progress reporter saw every run: the stages' last counts and the analysis' notes, as the CLI prints them.
        string printed = progress.ToString();
        Assert.Matches(@"\] covariance: (\d+)/\1 \(100%", printed);
        Assert.Matches(@"\] pairwise scores: 128/128 \(100%", printed);
        Assert.Contains("example-level tables", printed);
    }
}
