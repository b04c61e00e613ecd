using System.Diagnostics;

namespace InfraSharp.Tests.Reporting;

/// <summary>
/// The report of the shared fixture analysis (<see cref="FixtureAnalysis"/>) opened in headless Chromium. System tier:
/// it needs Debian's chromium, and fails (never skips) where it is missing.
/// </summary>
[Trait("Category", "System")]
public class ReportBrowserTests
{
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
    public void TheReportRendersInChromium()
    {
        Assert.True(
            File.Exists("/usr/bin/chromium"),
            "Debian's chromium is needed for this test (.ci/run installs it: apt-get install chromium)"
        );
        // The shared fixture's analysis (AnalyzeCommandTests checks the same analysis from the CLI, table by table).
        string r = FixtureAnalysis.Analysis;
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
