using System.CommandLine;
using InfraSharp.Tests.Storage;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// The error contract for every command of the <c>infra</c> tree (found by walking it, so that a new command without
/// a case fails here): a representative bad input, found as late as the command can find it, gives exit code 2 and
/// one line naming it, and leaves the output folder exactly as it was (absent stays absent).
/// System tier: an <c>infra</c> process per command of the tree, over a minute here.
/// </summary>
[Trait("Category", "System")]
public class EveryCommandRefusalTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    private sealed record Case(string Culprit, string Watched, string[] Args);

    private static IEnumerable<string> Leaves(Command c, string prefix) =>
        c.Subcommands.Count == 0 ? [prefix.Trim()] : c.Subcommands.SelectMany(s => Leaves(s, prefix + " " + s.Name));

    private static Dictionary<string, Case> Cases(string root)
    {
        string Out(string name) => Path.Combine(root, "out-" + name);
        string Write(string name, string text)
        {
            string p = Path.Combine(root, name);
            File.WriteAllText(p, text);
            return p;
        }
        var good = File.ReadAllLines(Train);
        // A malformed third line: found only once reading is under way (after a run folder would be prepared).
        string bad = Write("bad.jsonl", good[0] + "\n" + good[1] + "\n{\"messages\": [oops\n");
        string badQueries = Write("bad-queries.jsonl", File.ReadAllLines(Queries)[0] + "\n{not json\n");
        string problems = Write(
            "problems.jsonl",
            "{\"id\":\"p1\",\"prompt\":\"1+1?\",\"answer\":\"2\"}\n"
                + "{\"id\":\"p2\",\"prompt\":\"2+2?\",\"answer\":\"4\"}\n"
                + "{\"id\":\"p3\",\"prompt\":\"3+3?\"\n"
        );
        string humanEval = Path.Combine(Fixtures.Shared, "datasets", "humaneval", "HumanEval.jsonl.gz");
        string samples = Write(
            "samples.jsonl",
            "{\"task_id\":\"HumanEval/0\",\"completion\":\"    return False\\n\"}\n{oops\n"
        );
        string synth = Path.Combine(root, "synth");
        Directory.CreateDirectory(synth);
        File.WriteAllText(Path.Combine(synth, "train.jsonl"), "my rows\n");
        string mine = Path.Combine(root, "mine");
        Directory.CreateDirectory(mine);
        File.WriteAllText(Path.Combine(mine, "thesis.tex"), "\\documentclass{article}");
        string empty = Path.Combine(root, "empty");
        Directory.CreateDirectory(empty);
        string fewer = Write("fewer.jsonl", good[0] + "\n");
        string scores = Path.Combine(root, "scores");
        string[] launch =
        [
            "--model",
            Model,
            "--data",
            Path.Combine(root, "absent.jsonl"),
            "--queries",
            Queries,
            "--data-partitions",
            "2",
            "--module-partitions",
            "1",
        ];
        return new Dictionary<string, Case>
        {
            ["encode"] = new(
                "bad.jsonl:3",
                Out("enc"),
                ["encode", "--model", Model, "--data", bad, "--out", Path.Combine(Out("enc"), "e.jsonl")]
            ),
            ["generate"] = new(
                "bad.jsonl:3",
                Out("gen"),
                ["generate", "--model", Model, "--data", bad, "--out", Path.Combine(Out("gen"), "g.jsonl")]
            ),
            ["data synth"] = new("train.jsonl", synth, ["data", "synth", "--out", synth, "--size", "20"]),
            ["train"] = new(
                "bad.jsonl:3",
                Out("train"),
                ["train", "--model", Model, "--data", bad, "--out", Out("train"), "--max-steps", "1"]
            ),
            ["eval math"] = new(
                "problems.jsonl:3",
                Out("evalm"),
                ["eval", "math", "--model", Model, "--data", problems, "--out", Out("evalm"), "--max-new-tokens", "2"]
            ),
            ["eval code"] = new(
                "samples.jsonl:2",
                Out("evalc"),
                ["eval", "code", "--problems", humanEval, "--samples", samples, "--out", Out("evalc")]
            ),
            ["factors"] = new(
                "bad.jsonl:3",
                Out("fac"),
                ["factors", "--model", Model, "--data", bad, "--out", Out("fac")]
            ),
            ["scores pairwise"] = new(
                "bad-queries.jsonl:2",
                Out("pw"),
                ["scores", "pairwise", "--model", Model, "--train", Train, "--queries", badQueries, "--out", Out("pw")]
            ),
            ["scores self"] = new(
                "bad.jsonl:3",
                Out("self"),
                ["scores", "self", "--model", Model, "--train", bad, "--out", Out("self")]
            ),
            ["merge"] = new("--factors", mine, ["merge", "--factors", mine]),
            ["analyze"] = new(
                "fewer.jsonl",
                Out("ana"),
                ["analyze", "--scores", scores, "--train", fewer, "--queries", Queries, "--out", Out("ana")]
            ),
            ["curate"] = new(
                "bad.jsonl:3",
                Out("cur"),
                ["curate", "--data", bad, "--out", Path.Combine(Out("cur"), "c.jsonl")]
            ),
            ["demo"] = new("thesis.tex", mine, ["demo", "--out", mine, "--quick"]),
            ["experiment"] = new("thesis.tex", mine, ["experiment", "--out", mine, "--quick"]),
            ["init"] = new(
                "--tokenizer",
                Out("init"),
                ["init", "--shape", "qwen2.5-0.5b", "--out", Out("init"), "--tokenizer", Path.Combine(root, "no-tok")]
            ),
            ["plan"] = new("--model", Out("plan"), ["plan", "--model", Path.Combine(root, "no-model")]),
            ["launch slurm"] = new("absent.jsonl", Out("slurm"), ["launch", "slurm", .. launch, "--out", Out("slurm")]),
            // Its paths are the pods' and are not read here; an output inside an input is refused all the same.
            ["launch kubernetes"] = new(
                "lies inside the --model input",
                mine,
                [
                    "launch",
                    "kubernetes",
                    "--model",
                    mine,
                    "--data",
                    Train,
                    "--out",
                    Path.Combine(mine, "run"),
                    "--image",
                    "x",
                    "--pvc",
                    "y",
                ]
            ),
            ["launch status"] = new("chain.json", empty, ["launch", "status", empty]),
            ["validate lds"] = new(
                "training_args.json",
                Out("lds"),
                ["validate", "lds", "--model", Model, "--train", Train, "--queries", Queries, "--out", Out("lds")]
            ),
            ["index build"] = new(
                "bad.jsonl:3",
                Out("ixb"),
                ["index", "build", "--model", Model, "--train", bad, "--out", Out("ixb")]
            ),
            ["index query"] = new(
                "--index",
                Out("ixq"),
                ["index", "query", "--index", empty, "--queries", Queries, "--out", Out("ixq")]
            ),
            ["index verify"] = new("--index", empty, ["index", "verify", "--index", empty]),
            ["explore"] = new(
                "--port",
                Out("explore"),
                ["explore", "--scores", scores, "--train", Train, "--queries", Queries, "--port", "70000"]
            ),
        };
    }

    [Fact]
    public void EveryCommandRefusesBadInputInOneLineAndLeavesItsOutputAsItWas()
    {
        string root = Fixtures.TempDir();
        var cases = Cases(root);
        var leaves = Leaves(InfraSharp.Cli.Program.BuildRoot(), "").ToList();
        var missing = leaves.Where(l => !cases.ContainsKey(l)).ToList();
        Assert.True(missing.Count == 0, "commands without a bad-input case: " + string.Join(", ", missing));
        string factors = Path.Combine(root, "factors"),
            scores = Path.Combine(root, "scores");
        Assert.Equal(
            0,
            InfraProcess
                .Run(["factors", "--model", Model, "--data", Train, "--out", factors, "--modules", "mlp"])
                .ExitCode
        );
        Assert.Equal(
            0,
            InfraProcess
                .Run([
                    "scores",
                    "pairwise",
                    "--model",
                    Model,
                    "--factors",
                    factors,
                    "--train",
                    Train,
                    "--queries",
                    Queries,
                    "--out",
                    scores,
                ])
                .ExitCode
        );

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, kv =>
        {
            var (name, c) = (kv.Key, kv.Value);
            var before = FolderSnapshot.Of(c.Watched);
            var r = InfraProcess.Run(c.Args);
            var diff = FolderSnapshot.Diff(before, FolderSnapshot.Of(c.Watched));
            string where = $"[{name}] exit {r.ExitCode}, stderr: {r.Stderr.Trim()}";
            if (r.ExitCode != 2)
                failures.Add(where + " (expected exit code 2)");
            else if (r.ErrorLines.Length != 1)
                failures.Add(where + $" (expected one line, got {r.ErrorLines.Length})");
            else if (!r.ErrorLines[0].Contains(c.Culprit, StringComparison.Ordinal))
                failures.Add(where + $" (does not name '{c.Culprit}')");
            if (r.Stderr.Contains("   at ", StringComparison.Ordinal))
                failures.Add(where + " (stack trace)");
            if (diff != "")
                failures.Add($"[{name}] changed {c.Watched}: {diff}");
        });
        Assert.True(
            failures.IsEmpty,
            $"{failures.Count} of {cases.Count} commands:\n" + string.Join("\n", failures.OrderBy(f => f))
        );
    }

    [Fact]
    public void ExploreOnAPortInUseIsOneLine()
    {
        string root = Fixtures.TempDir(),
            factors = Path.Combine(root, "factors"),
            scores = Path.Combine(root, "scores");
        Assert.Equal(
            0,
            InfraProcess
                .Run([
                    "factors",
                    "--model",
                    Model,
                    "--data",
                    Train,
                    "--out",
                    factors,
                    "--modules",
                    "mlp",
                    "--strategy",
                    "identity",
                ])
                .ExitCode
        );
        Assert.Equal(
            0,
            InfraProcess
                .Run([
                    "scores",
                    "pairwise",
                    "--model",
                    Model,
                    "--factors",
                    factors,
                    "--train",
                    Train,
                    "--queries",
                    Queries,
                    "--out",
                    scores,
                ])
                .ExitCode
        );
        var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
            var r = InfraProcess.Run([
                "explore",
                "--scores",
                scores,
                "--train",
                Train,
                "--queries",
                Queries,
                "--port",
                port.ToString(),
            ]);
            Assert.True(r.ExitCode == 2, $"exit {r.ExitCode}: {r.Stderr}");
            Assert.Contains($"--port {port}", Assert.Single(r.ErrorLines));
            Assert.DoesNotContain("   at ", r.Stderr);
        }
        finally
        {
            taken.Stop();
        }
    }
}
