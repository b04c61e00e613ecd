using System.Security.Cryptography;
using System.Text;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// The error contract, table-driven, through the real command in its own process: every bad input (files, rows,
/// options, fingerprints, folders from other runs) exits with code 2 and one line that names the culprit, prints
/// no stack trace, and leaves the output folder as it was (no half-written or changed file, no temp file).
/// System tier: an <c>infra</c> process per bad input, over two minutes here.
/// </summary>
[Trait("Category", "System")]
public class BadInputTableTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");

    private sealed record Case(
        string Name,
        string Culprit,
        string Watched,
        string[] Args,
        Dictionary<string, string>? Env = null
    );

    private static string CopyModel(string root, string name)
    {
        string dir = Path.Combine(root, name);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Model))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static string WriteFile(string root, string name, string content)
    {
        string p = Path.Combine(root, name);
        File.WriteAllText(p, content);
        return p;
    }

    /// <summary>Relative path -> SHA-256 of every file under <paramref name="dir"/> (empty when it doesn't
    /// exist).</summary>
    internal static SortedDictionary<string, string> Snapshot(string dir)
    {
        var s = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(dir))
            s[""] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(dir)));
        else if (Directory.Exists(dir))
            foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
                s[Path.GetRelativePath(dir, f)] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)));
        return s;
    }

    private static List<Case> Cases(string root)
    {
        string Out(string name) => Path.Combine(root, "out-" + name);
        var cases = new List<Case>();
        void Add(string name, string culprit, string watched, params string[] args) =>
            cases.Add(new Case(name, culprit, watched, args));

        // Model files.
        string truncated = CopyModel(root, "truncated");
        var bytes = File.ReadAllBytes(Path.Combine(Model, "model.safetensors"));
        File.WriteAllBytes(Path.Combine(truncated, "model.safetensors"), bytes[..(bytes.Length / 2)]);
        Add(
            "truncated safetensors",
            "model.safetensors",
            Out("a"),
            "factors",
            "--model",
            truncated,
            "--data",
            Train,
            "--out",
            Out("a")
        );
        string corrupt = CopyModel(root, "corrupt");
        File.WriteAllBytes(
            Path.Combine(corrupt, "model.safetensors"),
            [.. BitConverter.GetBytes(40L), .. Encoding.ASCII.GetBytes("{not json at all, but forty bytes long!}")]
        );
        Add(
            "corrupt safetensors header",
            "model.safetensors",
            Out("b"),
            "factors",
            "--model",
            corrupt,
            "--data",
            Train,
            "--out",
            Out("b")
        );
        string dtype = CopyModel(root, "dtype");
        int at = Encoding.ASCII.GetString(bytes, 8, 4096).IndexOf("\"F32\"", StringComparison.Ordinal);
        var wrong = (byte[])bytes.Clone();
        Encoding.ASCII.GetBytes("\"Q32\"").CopyTo(wrong, 8 + at);
        File.WriteAllBytes(Path.Combine(dtype, "model.safetensors"), wrong);
        Add("wrong dtype", "Q32", Out("c"), "factors", "--model", dtype, "--data", Train, "--out", Out("c"));
        string noField = CopyModel(root, "nofield");
        File.WriteAllText(
            Path.Combine(noField, "config.json"),
            File.ReadAllText(Path.Combine(Model, "config.json")).Replace("\"hidden_size\": 64,", "")
        );
        Add(
            "config missing a field",
            "hidden_size",
            Out("d"),
            "factors",
            "--model",
            noField,
            "--data",
            Train,
            "--out",
            Out("d")
        );
        string badConfig = CopyModel(root, "badconfig");
        File.WriteAllText(Path.Combine(badConfig, "config.json"), "{\"model_type\": \"llama\",");
        Add(
            "config not JSON",
            "config.json",
            Out("e"),
            "factors",
            "--model",
            badConfig,
            "--data",
            Train,
            "--out",
            Out("e")
        );
        string badTok = CopyModel(root, "badtok");
        File.WriteAllText(Path.Combine(badTok, "tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": [");
        Add(
            "malformed tokenizer.json",
            "tokenizer.json",
            Out("f"),
            "factors",
            "--model",
            badTok,
            "--data",
            Train,
            "--out",
            Out("f")
        );
        Add(
            "missing model folder",
            "--model",
            Out("g"),
            "factors",
            "--model",
            Path.Combine(root, "nope"),
            "--data",
            Train,
            "--out",
            Out("g")
        );

        // Rows.
        var good = File.ReadAllLines(Train);
        string malformed = WriteFile(root, "malformed.jsonl", good[0] + "\n" + good[1] + "\n{\"messages\": oops}\n");
        Add(
            "malformed JSONL line",
            "malformed.jsonl:3",
            Out("h"),
            "factors",
            "--model",
            Model,
            "--data",
            malformed,
            "--out",
            Out("h")
        );
        string noContent = WriteFile(root, "nocontent.jsonl", "{\"id\":\"x\",\"domain\":\"math\"}\n");
        Add(
            "row without content",
            "nocontent.jsonl:1",
            Out("i"),
            "factors",
            "--model",
            Model,
            "--data",
            noContent,
            "--out",
            Out("i")
        );
        string label = WriteFile(root, "label.jsonl", "{\"input_ids\":[1,5,6,7],\"labels\":[-100,5,99999,7]}\n");
        Add("label out of range", "labels", Out("j"), "factors", "--model", Model, "--data", label, "--out", Out("j"));
        string id = WriteFile(root, "id.jsonl", "{\"input_ids\":[1,5,-3,7]}\n");
        Add(
            "token id out of range",
            "input_ids",
            Out("k"),
            "scores",
            "self",
            "--model",
            Model,
            "--train",
            id,
            "--out",
            Out("k")
        );
        string longRow = WriteFile(
            root,
            "long.jsonl",
            "{\"input_ids\":[" + string.Join(",", Enumerable.Repeat(5, 1100)) + "]}\n"
        );
        Add(
            "sequence over the context",
            "long.jsonl:1",
            Out("l"),
            "factors",
            "--model",
            Model,
            "--data",
            longRow,
            "--out",
            Out("l")
        );
        string empty = WriteFile(root, "empty.jsonl", "");
        Add("empty dataset", "empty.jsonl", Out("m"), "factors", "--model", Model, "--data", empty, "--out", Out("m"));
        Add(
            "missing data file",
            "--data",
            Out("n"),
            "factors",
            "--model",
            Model,
            "--data",
            Path.Combine(root, "none.jsonl"),
            "--out",
            Out("n")
        );

        // Options: a zero or negative value for every numeric option, unknown enum values, malformed values.
        string samples = WriteFile(
            root,
            "samples.jsonl",
            "{\"task_id\":\"HumanEval/0\",\"completion\":\"    return False\\n\"}\n"
        );
        string humanEval = Path.Combine(Fixtures.Shared, "datasets", "humaneval", "HumanEval.jsonl.gz");
        var bases = new Dictionary<string, string[]>
        {
            ["train"] =
            [
                "train",
                "--data",
                Train,
                "--init",
                "layers=1,hidden=8,heads=2,kv_heads=1,mlp=16",
                "--train-tokenizer",
                "300",
                "--out",
                Out("train"),
            ],
            ["generate"] =
            [
                "generate",
                "--model",
                Model,
                "--data",
                Queries,
                "--out",
                Path.Combine(Out("gen"), "g.jsonl"),
            ],
            ["eval math"] = ["eval", "math", "--model", Model, "--data", Queries, "--out", Out("evalm")],
            ["eval code"] = ["eval", "code", "--problems", humanEval, "--samples", samples, "--out", Out("evalc")],
            ["factors"] = ["factors", "--model", Model, "--data", Train, "--out", Out("fac")],
            ["scores"] =
            [
                "scores",
                "pairwise",
                "--model",
                Model,
                "--train",
                Train,
                "--queries",
                Queries,
                "--out",
                Out("sco"),
            ],
            ["analyze"] =
            [
                "analyze",
                "--scores",
                Out("sco"),
                "--train",
                Train,
                "--queries",
                Queries,
                "--out",
                Out("ana"),
            ],
            ["curate"] = ["curate", "--data", Train, "--out", Path.Combine(Out("cur"), "c.jsonl")],
            ["data"] = ["data", "synth", "--out", Out("syn")],
            ["encode"] = ["encode", "--model", Model, "--data", Train, "--out", Path.Combine(Out("enc"), "e.jsonl")],
            ["demo"] = ["demo", "--out", Out("demo")],
        };
        var numeric = new (string Command, string Option, string Value)[]
        {
            ("train", "--epochs", "0"),
            ("train", "--max-steps", "-1"),
            ("train", "--batch-size", "0"),
            ("train", "--grad-accum", "0"),
            ("train", "--lr", "0"),
            ("train", "--warmup", "-1"),
            ("train", "--weight-decay", "-1"),
            ("train", "--clip", "0"),
            ("train", "--seed", "-1"),
            ("train", "--checkpoint-every", "-1"),
            ("train", "--threads", "0"),
            ("train", "--train-tokenizer", "0"),
            ("generate", "--max-new-tokens", "0"),
            ("generate", "--batch-size", "0"),
            ("generate", "--temperature", "0"),
            ("generate", "--top-p", "0"),
            ("generate", "--seed", "-1"),
            ("generate", "--threads", "-2"),
            ("eval math", "--n", "0"),
            ("eval math", "--max-new-tokens", "-1"),
            ("eval math", "--batch-size", "0"),
            ("eval math", "--temperature", "-1"),
            ("eval math", "--top-p", "-0.5"),
            ("eval math", "--seed", "-1"),
            ("eval code", "--timeout", "0"),
            ("eval code", "--memory-mb", "0"),
            ("eval code", "--parallel", "-1"),
            ("factors", "--max-examples", "-1"),
            ("factors", "--tokens-per-batch", "0"),
            ("factors", "--seed", "-1"),
            ("factors", "--max-memory", "0"),
            ("scores", "--damping", "-1"),
            ("scores", "--query-rank", "-1"),
            ("scores", "--tokens-per-batch", "-8"),
            ("scores", "--chunk-size", "0"),
            ("scores", "--max-memory", "-5G"),
            ("analyze", "--top-k", "0"),
            ("curate", "--strength", "0"),
            ("curate", "--fraction", "0"),
            ("curate", "--temperature", "-1"),
            ("data", "--size", "0"),
            ("data", "--explore-share", "-1"),
            ("data", "--queries-per-cell", "0"),
            ("data", "--eval-per-cell", "-1"),
            ("data", "--seed", "-1"),
            ("encode", "--max-length", "0"),
            ("demo", "--seeds", "0"),
            ("demo", "--seed", "-1"),
            // Unknown values of enumerated options, and malformed ones.
            ("factors", "--strategy", "bogus"),
            ("factors", "--fisher", "bogus"),
            ("factors", "--stage", "bogus"),
            ("factors", "--partition", "3/2"),
            ("factors", "--max-memory", "lots"),
            ("scores", "--measurement", "bogus"),
            ("scores", "--precision", "float16"),
            ("scores", "--strategy", "bogus"),
            ("curate", "--strategy", "bogus"),
            ("curate", "--mode", "bogus"),
        };
        foreach (var (command, option, value) in numeric)
        {
            var args = bases[command];
            string watched = args[Array.IndexOf(args, "--out") + 1];
            cases.Add(new Case($"{command} {option} {value}", option, watched, [.. args, option, value]));
        }

        // Folders and the environment.
        string aFile = WriteFile(root, "a-file", "x");
        Add(
            "unwritable output folder",
            "a-file",
            aFile,
            "factors",
            "--model",
            Model,
            "--data",
            Train,
            "--out",
            Path.Combine(aFile, "sub")
        );
        cases.Add(
            new Case(
                "missing python3 on PATH",
                "python3",
                Out("py"),
                ["eval", "code", "--problems", humanEval, "--samples", samples, "--out", Out("py")],
                new Dictionary<string, string> { ["PATH"] = Path.Combine(root, "empty-path") }
            )
        );
        Add(
            "--model and --init together",
            "--init",
            Out("train2"),
            "train",
            "--data",
            Train,
            "--model",
            Model,
            "--init",
            "layers=1,hidden=8,heads=2,kv_heads=1,mlp=16",
            "--out",
            Out("train2")
        );
        Add(
            "modules that match nothing",
            "--modules",
            Out("mods"),
            "factors",
            "--model",
            Model,
            "--data",
            Train,
            "--out",
            Out("mods"),
            "--modules",
            "no_such_proj"
        );
        Add(
            "misspelt device",
            "--device",
            Out("dev1"),
            "factors",
            "--model",
            Model,
            "--data",
            Train,
            "--out",
            Out("dev1"),
            "--device",
            "gpu0"
        );
        Add(
            "unknown dtype",
            "--dtype",
            Out("dev2"),
            "scores",
            "self",
            "--model",
            Model,
            "--train",
            Train,
            "--out",
            Out("dev2"),
            "--dtype",
            "float16"
        );
        // On a machine without CUDA the run refuses before writing anything; on one with a single GPU, cuda:7 is
        // absent.
        Add(
            "absent CUDA device",
            "--device",
            Out("dev3"),
            "factors",
            "--model",
            Model,
            "--data",
            Train,
            "--out",
            Out("dev3"),
            "--device",
            "cuda:7"
        );
        Add(
            "module partition outside the eigen stage",
            "--module-partition",
            Out("mp1"),
            "factors",
            "--model",
            Model,
            "--data",
            Train,
            "--out",
            Out("mp1"),
            "--stage",
            "covariance",
            "--module-partition",
            "0/2"
        );
        Add(
            "module partition auto without a scheduler",
            "--module-partition",
            Out("mp2"),
            "factors",
            "--model",
            Model,
            "--data",
            Train,
            "--out",
            Out("mp2"),
            "--stage",
            "eigen",
            "--module-partition",
            "auto"
        );
        // Validation: a model not written by infra train has no record of how to retrain it; option ranges.
        Add(
            "LDS of a model without training_args.json",
            "training_args.json",
            Out("lds1"),
            "validate",
            "lds",
            "--model",
            Model,
            "--train",
            Train,
            "--queries",
            Queries,
            "--out",
            Out("lds1")
        );
        Add(
            "LDS fraction out of range",
            "--fraction",
            Out("lds2"),
            "validate",
            "lds",
            "--model",
            Model,
            "--train",
            Train,
            "--queries",
            Queries,
            "--out",
            Out("lds2"),
            "--fraction",
            "1.5"
        );
        Add(
            "LDS unknown strategy",
            "strategy 'tracin'",
            Out("lds3"),
            "validate",
            "lds",
            "--model",
            Model,
            "--train",
            Train,
            "--queries",
            Queries,
            "--out",
            Out("lds3"),
            "--strategies",
            "identity,tracin"
        );
        // Gradient index: malformed dimensions and filters, a folder that is no index, an append with nothing to add
        // to.
        Add(
            "index projection dimension 0",
            "--projection-dim",
            Out("ix1"),
            "index",
            "build",
            "--model",
            Model,
            "--train",
            Train,
            "--out",
            Out("ix1"),
            "--projection-dim",
            "mlp=0"
        );
        Add(
            "index query of a folder that is no index",
            "--index",
            Out("ix2"),
            "index",
            "query",
            "--index",
            Path.Combine(root, "empty-path"),
            "--queries",
            Queries,
            "--out",
            Out("ix2")
        );
        Add(
            "index filter without '='",
            "--filter",
            Out("ix3"),
            "index",
            "query",
            "--index",
            Path.Combine(root, "empty-path"),
            "--queries",
            Queries,
            "--out",
            Out("ix3"),
            "--filter",
            "domain"
        );
        Add(
            "index append without an index",
            "--append",
            Out("ix4"),
            "index",
            "build",
            "--model",
            Model,
            "--train",
            Train,
            "--out",
            Out("ix4"),
            "--append"
        );
        // Explorer: refused before any server starts.
        Add(
            "explore a folder that is no score folder",
            "--scores",
            Out("ex1"),
            "explore",
            "--scores",
            Path.Combine(root, "empty-path"),
            "--train",
            Train,
            "--queries",
            Queries,
            "--port",
            "0"
        );
        Add(
            "explore on a host name",
            "--host",
            Out("ex2"),
            "explore",
            "--scores",
            Path.Combine(root, "empty-path"),
            "--train",
            Train,
            "--queries",
            Queries,
            "--host",
            "example.com"
        );
        return cases;
    }

    [Fact]
    public void EveryBadInputIsOneLineExitTwoAndLeavesNothingBehind()
    {
        string root = Fixtures.TempDir();
        Directory.CreateDirectory(Path.Combine(root, "empty-path"));
        var cases = Cases(root);

        // Folders from other runs: factors and scores computed once, then asked for with other arguments.
        string factors = Path.Combine(root, "factors"),
            scores = Path.Combine(root, "scores"),
            cov = Path.Combine(root, "cov");
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
        cases.Add(
            new Case(
                "factors folder from other arguments",
                "arguments.fit.strategy",
                factors,
                [
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
                    "kfac",
                ]
            )
        );
        cases.Add(
            new Case(
                "scores folder without per-token",
                "arguments.score.per_token",
                scores,
                [
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
                    "--per-token",
                ]
            )
        );
        cases.Add(
            new Case(
                "factors of another model",
                "another model",
                Path.Combine(root, "s2"),
                [
                    "scores",
                    "pairwise",
                    "--model",
                    Fixtures.Model("tiny-qwen2"),
                    "--factors",
                    factors,
                    "--train",
                    Fixtures.Path_("tiny-qwen2", "train.jsonl"),
                    "--queries",
                    Fixtures.Path_("tiny-qwen2", "queries.jsonl"),
                    "--out",
                    Path.Combine(root, "s2"),
                ]
            )
        );
        // NaN in one module's covariance: the eigen stage names the module.
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
                    cov,
                    "--modules",
                    "mlp",
                    "--stage",
                    "covariance",
                ])
                .ExitCode
        );
        string covFile = Path.Combine(cov, "covariance.safetensors");
        var tensors = SafeTensorsFile.ReadAll(covFile);
        const string Sick = "model.layers.1.mlp.down_proj";
        tensors[Sick + ".gradient_covariance"][0, 0] = tensor(double.NaN, ScalarType.Float64);
        SafeTensorsFile.Write(covFile, tensors);
        cases.Add(
            new Case(
                "NaN in a covariance",
                Sick,
                cov,
                ["factors", "--model", Model, "--data", Train, "--out", cov, "--modules", "mlp", "--stage", "eigen"]
            )
        );

        Assert.True(cases.Count >= 30, $"{cases.Count} cases");
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            var before = Snapshot(c.Watched);
            var r = InfraProcess.Run(c.Args, c.Env);
            var lines = r.ErrorLines;
            var after = Snapshot(c.Watched);
            string where = $"[{c.Name}] exit {r.ExitCode}, stderr: {r.Stderr.Trim()}";
            if (r.ExitCode != 2)
                failures.Add(where + " (expected exit code 2)");
            else if (lines.Length != 1)
                failures.Add(where + $" (expected one line, got {lines.Length})");
            else if (!lines[0].Contains(c.Culprit, StringComparison.Ordinal))
                failures.Add(where + $" (does not name '{c.Culprit}')");
            if (r.Stderr.Contains("   at ", StringComparison.Ordinal))
                failures.Add(where + " (stack trace)");
            if (!before.SequenceEqual(after))
                failures.Add($"[{c.Name}] changed {c.Watched}: {string.Join(", ", after.Keys.Except(before.Keys))}");
            if (after.Keys.Any(k => k.Contains(".tmp-")))
                failures.Add($"[{c.Name}] left a temporary file in {c.Watched}");
        });
        Assert.True(
            failures.IsEmpty,
            $"{failures.Count} of {cases.Count} cases:\n" + string.Join("\n", failures.OrderBy(f => f))
        );
    }
}
