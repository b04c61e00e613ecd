using System.Text;
using System.Text.Json.Nodes;
using InfraSharp.Index;
using InfraSharp.Storage;
using InfraSharp.Tests.Index;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// What is read back is checked, through the real command in its own process: non-finite factors, corrupt or
/// non-finite index shards, repeated ids, invalid UTF-8, malformed tokenizer merges, bad regular expressions and a
/// folder as --lexicon each exit with code 2 and one line naming the culprit (file, line, tensor, module, shard,
/// block or row), print no stack trace, and leave the output folder and the inputs as they were.
/// System tier: an <c>infra</c> process per case, up to over a minute per test here.
/// </summary>
[Trait("Category", "System")]
public class IntegrityTests
{
    private static readonly string Model = Fixtures.Model("tiny-llama");
    private static readonly string Train = Fixtures.Path_("tiny-llama", "train.jsonl");
    private static readonly string Queries = Fixtures.Path_("tiny-llama", "queries.jsonl");
    private const string Module = "model.layers.1.mlp.down_proj";

    /// <param name="Watched">Folders or files that must be byte-identical after the run: --out and the inputs.</param>
    private sealed record Case(string Name, string[] Culprits, string[] Watched, string[] Args);

    private static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
    }

    /// <summary>A copy of <paramref name="dir"/> whose safetensors <paramref name="file"/> has a value
    /// replaced.</summary>
    private static string Poisoned(string dir, string copy, string file, string tensorName, double value)
    {
        CopyDir(dir, copy);
        string path = Path.Combine(copy, file);
        var tensors = SafeTensorsFile.ReadAll(path);
        var t = tensors[tensorName];
        t.view(-1)[0] = tensor(value, t.dtype);
        SafeTensorsFile.Write(path, tensors);
        return copy;
    }

    private static string WithMerge(string root, string name, Action<JsonArray> edit)
    {
        string dir = Path.Combine(root, name);
        CopyDir(Model, dir);
        string path = Path.Combine(dir, "tokenizer.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        edit(json["model"]!["merges"]!.AsArray());
        File.WriteAllText(path, json.ToJsonString());
        return dir;
    }

    private static string Shard(string index) => Path.Combine(index, GradientIndex.ReadSegments(index)[0].Shards[0]);

    private static Dictionary<string, SortedDictionary<string, string>> Snapshots(IEnumerable<string> paths) =>
        paths.ToDictionary(p => p, BadInputTableTests.Snapshot);

    private static void Check(List<Case> cases)
    {
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(cases, new ParallelOptions { MaxDegreeOfParallelism = 2 }, c =>
        {
            var before = Snapshots(c.Watched);
            var r = InfraProcess.Run(c.Args);
            var lines = r.ErrorLines;
            string where = $"[{c.Name}] exit {r.ExitCode}, stderr: {r.Stderr.Trim()}";
            if (r.ExitCode != 2)
                failures.Add(where + " (expected exit code 2)");
            else if (lines.Length != 1)
                failures.Add(where + $" (expected one line, got {lines.Length})");
            else
                foreach (var culprit in c.Culprits.Where(x => !lines[0].Contains(x, StringComparison.Ordinal)))
                    failures.Add(where + $" (does not name '{culprit}')");
            if (r.Stderr.Contains("   at ", StringComparison.Ordinal))
                failures.Add(where + " (stack trace)");
            foreach (var (path, snapshot) in before)
                if (!snapshot.SequenceEqual(BadInputTableTests.Snapshot(path)))
                    failures.Add($"[{c.Name}] changed {path}");
        });
        Assert.True(
            failures.IsEmpty,
            $"{failures.Count} of {cases.Count} cases:\n" + string.Join("\n", failures.Order())
        );
    }

    [Fact]
    public void NonFiniteFactorsAndCorruptOrNonFiniteShardsAreRefused()
    {
        string root = Fixtures.TempDir(),
            factors = Path.Combine(root, "factors"),
            idx = Path.Combine(root, "idx");
        Assert.Equal(
            0,
            InfraProcess
                .Run(["factors", "--model", Model, "--data", Train, "--out", factors, "--modules", "mlp"])
                .ExitCode
        );
        Assert.Equal(
            0,
            InfraProcess
                .Run(["index", "build", "--model", Model, "--train", Train, "--out", idx, "--projection-dim", "8"])
                .ExitCode
        );
        var ok = InfraProcess.Run(["index", "verify", "--index", idx]);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Contains("128 rows", ok.Stdout);

        var cases = new List<Case>();
        string Out(string name) => Path.Combine(root, "out-" + name);
        void Scores(string name, string folder, params string[] culprits) =>
            cases.Add(
                new Case(
                    name,
                    culprits,
                    [Out(name), folder],
                    [
                        "scores",
                        "pairwise",
                        "--model",
                        Model,
                        "--factors",
                        folder,
                        "--train",
                        Train,
                        "--queries",
                        Queries,
                        "--out",
                        Out(name),
                    ]
                )
            );
        Scores(
            "NaN eigenvalue",
            Poisoned(
                factors,
                Path.Combine(root, "f-eigval"),
                "eigen.safetensors",
                Module + ".activation_eigenvalues",
                double.NaN
            ),
            "eigen.safetensors",
            "activation_eigenvalues",
            Module
        );
        Scores(
            "Inf eigenvector",
            Poisoned(
                factors,
                Path.Combine(root, "f-eigvec"),
                "eigen.safetensors",
                Module + ".gradient_eigenvectors",
                double.PositiveInfinity
            ),
            "eigen.safetensors",
            "gradient_eigenvectors",
            Module
        );
        Scores(
            "-Inf lambda",
            Poisoned(
                factors,
                Path.Combine(root, "f-lambda"),
                "lambda.safetensors",
                Module + ".lambda",
                double.NegativeInfinity
            ),
            "lambda.safetensors",
            Module + ".lambda",
            Module
        );

        // Index copies, each with one thing wrong; both a query and verify must refuse them.
        string Copy(string name, Action<string> spoil)
        {
            string dir = Path.Combine(root, name);
            CopyDir(idx, dir);
            spoil(Shard(dir));
            return dir;
        }
        void Index(string name, string dir, params string[] culprits)
        {
            cases.Add(
                new Case(
                    name + " (query)",
                    culprits,
                    [Out(name), dir],
                    ["index", "query", "--index", dir, "--queries", Queries, "--out", Out(name)]
                )
            );
            cases.Add(new Case(name + " (verify)", culprits, [dir], ["index", "verify", "--index", dir]));
        }
        string shardName = Path.GetFileName(Shard(idx));
        void Flip(string path, long at)
        {
            var bytes = File.ReadAllBytes(path);
            bytes[at < 0 ? bytes.Length + at : at] ^= 0x10;
            File.WriteAllBytes(path, bytes);
        }
        Index("byte flipped in a row", Copy("ix-row", s => Flip(s, -3)), shardName, "block 0");
        Index(
            "byte flipped in a scale",
            Copy("ix-scale", s => Flip(s, ShardFile.HeaderBytes + 9)),
            shardName,
            "block 0"
        );
        Index("byte flipped in the header", Copy("ix-head", s => Flip(s, 3000)), shardName, "header");
        // A NaN row whose checksums are made to match: the query's own check on scores refuses it, naming the row.
        var ids = File.ReadLines(Train)
            .Where(l => l.Length > 0)
            .Select(l => JsonNode.Parse(l)!["id"]!.ToString())
            .ToList();
        Index(
            "NaN row with valid checksums",
            Copy("ix-nan", s => ShardBytes.SetValue(s, row: 5, column: 2, float.NaN)),
            shardName,
            "row 5",
            $"'{ids[5]}'",
            "NaN"
        );
        Index("format version 1", Copy("ix-v1", s => ShardBytes.SetVersion(s, 1)), shardName, "format version 1");
        string eigen = Path.Combine(root, "ix-eigen");
        CopyDir(idx, eigen);
        Poisoned(
            Path.Combine(idx, IndexPreconditioner.Folder),
            Path.Combine(eigen, IndexPreconditioner.Folder + "2"),
            "eigen.safetensors",
            Module + ".gradient_eigenvalues",
            double.NaN
        );
        Directory.Delete(Path.Combine(eigen, IndexPreconditioner.Folder), recursive: true);
        Directory.Move(
            Path.Combine(eigen, IndexPreconditioner.Folder + "2"),
            Path.Combine(eigen, IndexPreconditioner.Folder)
        );
        Index("NaN in the preconditioner", eigen, "eigen.safetensors", "gradient_eigenvalues", Module);
        Check(cases);
    }

    [Fact]
    public void NonFiniteGradientsAreRefusedAtBuildNamingTheRow()
    {
        string root = Fixtures.TempDir(),
            sick = Path.Combine(root, "sick"),
            idx = Path.Combine(root, "idx");
        Poisoned(Model, sick, "model.safetensors", "model.norm.weight", double.NaN);
        var r = InfraProcess.Run(["index", "build", "--model", sick, "--train", Train, "--out", idx]);
        Assert.True(r.ExitCode == 2, r.Stderr);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains(".shard: row 0 (", line);
        Assert.Contains("train.jsonl:1", line);
        Assert.Contains("NaN or Inf", line);
        Assert.DoesNotContain("   at ", r.Stderr);
        // Refused on bad input, the new --out is left as it was: absent (no manifest, segments, shard or row table).
        var left = Directory.Exists(idx) ? Directory.GetFileSystemEntries(idx, "*", SearchOption.AllDirectories) : [];
        Assert.False(Directory.Exists(idx), string.Join(", ", left));
    }

    [Fact]
    public void RowsTokenizersAndOptionsAreRefusedWithOneLine()
    {
        string root = Fixtures.TempDir();
        string Out(string name) => Path.Combine(root, "out-" + name);
        var cases = new List<Case>();
        var lines = File.ReadAllLines(Train).Where(l => l.Length > 0).ToArray();
        string Write(string name, IEnumerable<string> content)
        {
            string p = Path.Combine(root, name);
            File.WriteAllLines(p, content);
            return p;
        }

        // Repeated ids: scores, factors and the index refuse them, naming both lines.
        string dup = Write("dup.jsonl", lines.Take(6).Append(lines[2]));
        string repeated = JsonNode.Parse(lines[2])!["id"]!.ToString();
        cases.Add(
            new Case(
                "repeated training id",
                ["dup.jsonl:7", "line 3", $"'{repeated}'"],
                [Out("dup")],
                ["scores", "pairwise", "--model", Model, "--train", dup, "--queries", Queries, "--out", Out("dup")]
            )
        );
        var q = File.ReadAllLines(Queries).Where(l => l.Length > 0).ToArray();
        string dupQ = Write("dupq.jsonl", q.Append(q[0]));
        cases.Add(
            new Case(
                "repeated query id",
                [$"dupq.jsonl:{q.Length + 1}", "line 1"],
                [Out("dupq")],
                ["scores", "pairwise", "--model", Model, "--train", Train, "--queries", dupQ, "--out", Out("dupq")]
            )
        );
        cases.Add(
            new Case(
                "repeated id in factors data",
                ["dup.jsonl:7", "line 3"],
                [Out("dupf")],
                ["factors", "--model", Model, "--data", dup, "--out", Out("dupf")]
            )
        );

        // Invalid UTF-8 (a lone continuation byte and a truncated sequence), plain and gzipped.
        string utf8 = Path.Combine(root, "bad-utf8.jsonl");
        var bad = Encoding
            .UTF8.GetBytes(lines[0] + "\n" + lines[1] + "\n{\"text\": \"caf")
            .Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes("\"}\n" + lines[3] + "\n"))
            .ToArray();
        File.WriteAllBytes(utf8, bad);
        cases.Add(
            new Case(
                "invalid UTF-8",
                ["bad-utf8.jsonl:3", "UTF-8", "0xC3"],
                [Out("utf8")],
                ["factors", "--model", Model, "--data", utf8, "--out", Out("utf8")]
            )
        );
        string gz = utf8 + ".gz";
        using (var f = File.Create(gz))
        using (var z = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest))
            z.Write(bad);
        cases.Add(
            new Case(
                "invalid UTF-8, gzipped",
                ["bad-utf8.jsonl.gz:3", "UTF-8"],
                [Out("utf8gz")],
                ["scores", "pairwise", "--model", Model, "--train", gz, "--queries", Queries, "--out", Out("utf8gz")]
            )
        );

        // tokenizer.json merges: malformed entries, and tokens (or their concatenation) outside the vocabulary.
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(Model, "tokenizer.json")))!["model"]!["vocab"]!
            .AsObject()
            .Select(kv => kv.Key)
            .ToHashSet();
        var singles = vocab.Where(t => t.Length == 1).Order(StringComparer.Ordinal).ToList();
        var (a, b) = singles.SelectMany(x => singles.Select(y => (x, y))).First(p => !vocab.Contains(p.x + p.y));
        void Tokenizer(string name, Action<JsonArray> edit, params string[] culprits)
        {
            string model = WithMerge(root, "tok-" + name.Replace(' ', '-'), edit);
            cases.Add(
                new Case(
                    "tokenizer: " + name,
                    ["tokenizer.json", .. culprits],
                    [Out(name), model],
                    ["factors", "--model", model, "--data", Train, "--out", Out(name)]
                )
            );
        }
        Tokenizer("merge without a space", m => m[5] = "abc", "merge 5", "'abc'");
        Tokenizer("merge of three", m => m[7] = new JsonArray("a", "b", "c"), "merge 7", "3 elements");
        Tokenizer("merge of a number", m => m[4] = 42, "merge 4");
        Tokenizer("merge of an absent token", m => m[3] = new JsonArray("zzqx", singles[0]), "merge 3", "'zzqx'");
        Tokenizer("merge with an absent result", m => m[2] = new JsonArray(a, b), "merge 2", $"'{a + b}'", "result");

        // Regular expressions in options, and a folder as --lexicon.
        cases.Add(
            new Case(
                "invalid --modules regex",
                ["--modules", "'mlp.(up'"],
                [Out("re1")],
                ["factors", "--model", Model, "--data", Train, "--out", Out("re1"), "--modules", "mlp.(up"]
            )
        );
        cases.Add(
            new Case(
                "invalid --projection-dim regex",
                ["--projection-dim", "down["],
                [Out("re2")],
                [
                    "index",
                    "build",
                    "--model",
                    Model,
                    "--train",
                    Train,
                    "--out",
                    Out("re2"),
                    "--projection-dim",
                    "mlp=8,down[=4",
                ]
            )
        );
        string scores = Path.Combine(root, "scores");
        Assert.Equal(
            0,
            InfraProcess
                .Run(["scores", "pairwise", "--model", Model, "--train", Train, "--queries", Queries, "--out", scores])
                .ExitCode
        );
        string folder = Path.Combine(root, "a-folder");
        Directory.CreateDirectory(folder);
        cases.Add(
            new Case(
                "folder as --lexicon",
                ["--lexicon", folder],
                [Out("lex"), scores],
                [
                    "analyze",
                    "--scores",
                    scores,
                    "--train",
                    Train,
                    "--queries",
                    Queries,
                    "--out",
                    Out("lex"),
                    "--lexicon",
                    folder,
                ]
            )
        );
        Check(cases);
    }

    [Fact]
    public void AnIdAlreadyInTheIndexIsRefusedNamingBothFiles()
    {
        string root = Fixtures.TempDir(),
            idx = Path.Combine(root, "idx");
        var lines = File.ReadAllLines(Train).Where(l => l.Length > 0).ToArray();
        string first = Path.Combine(root, "first.jsonl"),
            second = Path.Combine(root, "second.jsonl");
        File.WriteAllLines(first, lines.Take(40));
        File.WriteAllLines(second, lines.Skip(40).Take(10).Append(lines[7]));
        Assert.Equal(
            0,
            InfraProcess
                .Run([
                    "index",
                    "build",
                    "--model",
                    Model,
                    "--train",
                    first,
                    "--out",
                    idx,
                    "--projection-dim",
                    "4",
                    "--precondition",
                    "none",
                ])
                .ExitCode
        );
        var before = BadInputTableTests.Snapshot(idx);
        var r = InfraProcess.Run([
            "index",
            "build",
            "--model",
            Model,
            "--train",
            second,
            "--out",
            idx,
            "--append",
            "--projection-dim",
            "4",
            "--precondition",
            "none",
        ]);
        Assert.True(r.ExitCode == 2, r.Stderr);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains("second.jsonl:11", line);
        Assert.Contains("first.jsonl:8", line);
        Assert.Contains("already in the index", line);
        Assert.Equal(before, BadInputTableTests.Snapshot(idx));
    }
}
