using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using InfraSharp.Tests.Storage;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// SIGTERM, what docker stop, Kubernetes, systemd, scancel and timeout send: the explorer stops cleanly (exit 0, no
/// temporary folder, also while a scoring runs); factors and scores stop with 143 and resume to the same files.
/// </summary>
[Trait("Category", "System")]
public class SignalTests
{
    private const int Sigterm = 15,
        Sigint = 2;
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    [DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    /// <summary>The fixture's training rows repeated under new ids, so that a run lasts long enough to
    /// interrupt.</summary>
    private static string LargerTrain(string root, int copies)
    {
        var rows = Fixtures.Jsonl(Fixtures.Path_("tiny-llama", "train.jsonl")).ToList();
        string path = Path.Combine(root, "train.jsonl");
        File.WriteAllLines(
            path,
            Enumerable
                .Range(0, copies)
                .SelectMany(c =>
                    rows.Select(
                        (r, i) =>
                        {
                            var o = (JsonObject)r.DeepClone();
                            o["id"] = $"c{c}-{i}";
                            return o.ToJsonString();
                        }
                    )
                )
        );
        return path;
    }

    private static Process Start(string[] args, string? tmp = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "infra.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (tmp is not null)
            psi.Environment["TMPDIR"] = tmp;
        return Process.Start(psi)!;
    }

    /// <summary>Sends SIGTERM and returns the exit code and the seconds it took to exit (fails past 10 s).</summary>
    private static (int Code, double Seconds) Terminate(Process p, int signal = Sigterm)
    {
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, Kill(p.Id, signal));
        bool exited = p.WaitForExit(10_000);
        if (!exited)
            p.Kill(entireProcessTree: true);
        Assert.True(exited, "still running 10 s after SIGTERM");
        return (p.ExitCode, clock.Elapsed.TotalSeconds);
    }

    private static string[] Factors(string train, string outDir) =>
        ["factors", "--model", Model, "--data", train, "--out", outDir, "--modules", "mlp", "--tokens-per-batch", "64"];

    private static string[] Scores(string train, string factors, string outDir) =>
        [
            "scores",
            "pairwise",
            "--model",
            Model,
            "--factors",
            factors,
            "--train",
            train,
            "--queries",
            Queries,
            "--out",
            outDir,
            "--tokens-per-batch",
            "64",
            "--chunk-size",
            "8",
        ];

    private static void Ok(string[] args)
    {
        var r = InfraProcess.Run(args);
        Assert.True(r.ExitCode == 0, $"infra {string.Join(' ', args)}: exit {r.ExitCode}: {r.Stderr}");
    }

    /// <summary>Starts a run, stops it with SIGTERM once its progress shows, then reruns it to the end.</summary>
    private static void InterruptAndResume(string[] args, string outDir, string progressMark)
    {
        using var p = Start(args);
        var stderr = new System.Text.StringBuilder();
        using var seen = new ManualResetEventSlim();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (stderr)
                stderr.AppendLine(e.Data);
            if (e.Data.Contains(progressMark, StringComparison.Ordinal))
                seen.Set();
        };
        p.BeginErrorReadLine();
        Assert.True(seen.Wait(120_000), $"no '{progressMark}' progress line: {stderr}");
        var (code, _) = Terminate(p);
        Assert.True(code == 143, $"exit {code} after SIGTERM: {stderr}");
        Ok(args);
    }

    [Fact]
    public void FactorsAndScoresStopOnSigtermAndResumeToTheSameFiles()
    {
        string root = Fixtures.TempDir(),
            train = LargerTrain(root, 2);
        string whole = Path.Combine(root, "factors-whole"),
            cut = Path.Combine(root, "factors-cut");
        Ok(Factors(train, whole));
        InterruptAndResume(Factors(train, cut), cut, "covariance");
        var a = FolderSnapshot.Of(whole);
        var b = FolderSnapshot.Of(cut);
        Assert.True(FolderSnapshot.Diff(a, b) == "", FolderSnapshot.Diff(a, b));

        string scoresWhole = Path.Combine(root, "scores-whole"),
            scoresCut = Path.Combine(root, "scores-cut");
        Ok(Scores(train, whole, scoresWhole));
        InterruptAndResume(Scores(train, whole, scoresCut), scoresCut, "pairwise scores");
        a = FolderSnapshot.Of(scoresWhole);
        b = FolderSnapshot.Of(scoresCut);
        Assert.True(FolderSnapshot.Diff(a, b) == "", FolderSnapshot.Diff(a, b));
    }

    [Fact]
    public async Task TheExplorerStopsOnSigtermIdleAndWhileScoring()
    {
        string root = Fixtures.TempDir(),
            train = LargerTrain(root, 1);
        string factors = Path.Combine(root, "factors"),
            scores = Path.Combine(root, "scores");
        Ok(Factors(train, factors));
        Ok(Scores(train, factors, scores));
        // SIGTERM idle and while scoring; Ctrl-C (SIGINT) while scoring, which used to end in SIGSEGV.
        foreach (var (scoring, signal) in new[] { (false, Sigterm), (true, Sigterm), (true, Sigint) })
        {
            string tmp = Path.Combine(root, $"tmp-{scoring}-{signal}");
            Directory.CreateDirectory(tmp);
            using var p = Start(
                [
                    "explore",
                    "--scores",
                    scores,
                    "--train",
                    train,
                    "--queries",
                    Queries,
                    "--factors",
                    factors,
                    "--port",
                    "0",
                ],
                tmp
            );
            p.BeginErrorReadLine();
            string url = "";
            while (p.StandardOutput.ReadLine() is string line)
                if (line.StartsWith("infra explore: ", StringComparison.Ordinal))
                {
                    url = line[15..].Trim();
                    break;
                }
            Assert.StartsWith("http://127.0.0.1:", url);
            string? stateWhenStopped = null;
            if (scoring)
            {
                using var http = new HttpClient { BaseAddress = new Uri(url) };
                var r = await http.PostAsJsonAsync("/api/score", new { prompt = "What is 2 + 3?", answer = "5" });
                Assert.Equal(System.Net.HttpStatusCode.Accepted, r.StatusCode);
                var state = await http.GetFromJsonAsync<JsonObject>("/api/score");
                stateWhenStopped = state!["state"]!.ToString();
                Assert.True(
                    Directory.Exists(Path.Combine(tmp, "infra-explore")),
                    "the scoring has no temporary folder"
                );
            }
            var (code, seconds) = Terminate(p, signal);
            Assert.True(
                code == 0,
                $"exit {code} after signal {signal} ({(scoring ? "scoring " + stateWhenStopped : "idle")})"
            );
            Assert.True(seconds < 10, $"{seconds:F1} s");
            string temp = Path.Combine(tmp, "infra-explore");
            var left = Directory.Exists(temp) ? Directory.GetFileSystemEntries(temp) : [];
            Assert.True(left.Length == 0, $"left {string.Join(", ", left)}");
            if (scoring)
                Assert.Equal("running", stateWhenStopped);
        }
    }
}
