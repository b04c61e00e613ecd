using System.Diagnostics;
using InfraSharp.Cli.Commands;

namespace InfraSharp.Tests.Reporting;

/// <summary>The analysis end to end from the CLI, and its report opened in headless Chromium.</summary>
[Collection("cli")]
public class ReportBrowserTests
{
    private static int Infra(params string[] args) => InfraSharp.Cli.Program.Main(args);

    private static (int Code, string Stdout, string Stderr) Chromium(params string[] args)
    {
        string exe = File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : "chromium";
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (
            var a in new[]
            {
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                $"--user-data-dir={Fixtures.TempDir()}",
                "--enable-logging=stderr",
                "--v=0",
            }.Concat(args)
        )
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("chromium did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(true);
            throw new TimeoutException("chromium did not finish in 120 s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void AnalyzeWritesEveryTableAndTheReportRendersInChromium()
    {
        Assert.True(
            File.Exists("/usr/bin/chromium"),
            "Debian's chromium is needed for this test (.ci/run installs it: apt-get install chromium)"
        );
        string model = Fixtures.Model("tiny-llama"),
            train = Fixtures.Path_("tiny-llama", "train.jsonl"),
            queries = Fixtures.Path_("tiny-llama", "queries.jsonl");
        string f = Fixtures.TempDir(),
            s = Fixtures.TempDir(),
            r = Fixtures.TempDir();
        Assert.Equal(0, Infra("factors", "--model", model, "--data", train, "--out", f, "--modules", "mlp"));
        Assert.Equal(
            0,
            Infra(
                "scores",
                "pairwise",
                "--model",
                model,
                "--factors",
                f,
                "--train",
                train,
                "--queries",
                queries,
                "--out",
                s,
                "--per-token"
            )
        );
        Assert.Equal(0, Infra("analyze", "--scores", s, "--train", train, "--queries", queries, "--out", r));
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

        string url = "file://" + Path.Combine(r, "report.html");
        var (code, dom, log) = Chromium("--dump-dom", url);
        Assert.Equal(0, code);
        Assert.Contains("id=\"headline\"", dom);
        Assert.Contains("domain=math|difficulty=1", dom);
        Assert.Contains("class=\"tok heatmap\"", dom);
        Assert.Contains("<svg", dom);
        foreach (var bad in new[] { "Uncaught", "Failed to load resource", "CONSOLE(" })
            Assert.DoesNotContain(bad, log);

        string artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        string shot = Path.Combine(artifacts, "report.png");
        File.Delete(shot);
        var (code2, _, _) = Chromium($"--screenshot={shot}", "--window-size=1200,2400", "--hide-scrollbars", url);
        Assert.Equal(0, code2);
        Assert.True(new FileInfo(shot).Length > 10_000, "screenshot written");
    }
}
