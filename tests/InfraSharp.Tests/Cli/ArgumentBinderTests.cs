using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Cli.Binding;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Launch;
using InfraSharp.Storage;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// The option binders: one per arguments record, its defaults the record's own, its paths real properties of the
/// record, and the commands that set a record all take its options (so <c>infra scores pairwise --seed</c>,
/// <c>infra launch --precision</c> and <c>--aggregate-queries</c> exist and reach the records).
/// </summary>
public class ArgumentBinderTests
{
    private static ParseResult Parse<T>(ArgumentsBinder<T> binder, params string[] args)
    {
        var cmd = new RootCommand();
        binder.AddTo(cmd);
        var p = cmd.Parse(args);
        Assert.Empty(p.Errors);
        return p;
    }

    private static JsonNode Json(object record) =>
        JsonSerializer.SerializeToNode(record, record.GetType(), RunManifest.SerializerOptions())!;

    /// <summary>Binds the required options alone; checks that every path the binder maps is in the record.</summary>
    private static T Defaults<T>(ArgumentsBinder<T> binder, params string[] required)
        where T : notnull
    {
        var bound = binder.Bind(Parse(binder, required));
        var json = Json(bound).AsObject();
        foreach (var (path, flag) in binder.Flags)
        {
            Assert.True(
                ArgumentPathTests.Holds(json, path) || OmittedAtDefault(typeof(T), path),
                $"{flag} sets {path}, which is not in {json}"
            );
            Assert.Contains(binder.Options, o => o.Name == flag);
        }
        return bound;
    }

    /// <summary>
    /// A top-level property left out of the JSON at its default (so that manifests from before it keep their bytes):
    /// the binder's path still names a real property of the record.
    /// </summary>
    private static bool OmittedAtDefault(Type record, string path) =>
        !path.Contains('.')
        && record
            .GetProperties()
            .Any(p =>
                JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name) == path
                && p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonIgnoreAttribute), false)
                    .Cast<System.Text.Json.Serialization.JsonIgnoreAttribute>()
                    .Any(a =>
                        a.Condition
                            is System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault
                                or System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull
                    )
            );

    [Fact]
    public void EveryBinderTakesItsRecordsDefaults()
    {
        Assert.Equal(
            new FactorRunArguments { Model = "m", Data = "d" },
            Defaults(new FactorRunArgumentsBinder(), "--model", "m", "--data", "d")
        );
        Assert.Equal(
            new ScoreRunArguments
            {
                Model = "m",
                Train = "t",
                Queries = "q",
            },
            Defaults(new ScoreRunArgumentsBinder(ScoreKind.Pairwise), "--model", "m", "--train", "t", "--queries", "q")
        );
        Assert.Equal(
            new ScoreRunArguments
            {
                Kind = ScoreKind.Self,
                Model = "m",
                Train = "t",
            },
            Defaults(new ScoreRunArgumentsBinder(ScoreKind.Self), "--model", "m", "--train", "t")
        );
        Assert.Equal(new PlanArguments(), Defaults(new PlanArgumentsBinder()));
        Assert.Equal(
            new IndexBuildRunArguments
            {
                Index = new IndexArguments { Model = "m" },
                Train = "t",
            },
            Defaults(new IndexBuildRunArgumentsBinder(), "--model", "m", "--train", "t")
        );
        Assert.True(
            JsonNode.DeepEquals(
                Json(new IndexQueryRunArguments { Index = "i", Queries = "q" }),
                Json(Defaults(new IndexQueryRunArgumentsBinder(), "--index", "i", "--queries", "q"))
            )
        );
        Assert.Equal(
            new LdsRunArguments
            {
                Model = "m",
                Train = "t",
                Queries = "q",
            },
            Defaults(new LdsRunArgumentsBinder(), "--model", "m", "--train", "t", "--queries", "q")
        );
        Assert.True(JsonNode.DeepEquals(Json(new LdsEvaluation()), Json(Defaults(new LdsEvaluationBinder()))));
        var launch = Defaults(
            new LaunchArgumentsBinder(() => "infra", keepPaths: true),
            "--model",
            "m",
            "--data",
            "d",
            "--out",
            "o",
            "--queries",
            "q"
        );
        Assert.Equal(new FactorRunArguments { Model = "m", Data = "d" }, launch.Factors);
        Assert.Equal(new ScoreArguments(), launch.Scores!.Score);
        Assert.Equal(new LaunchResources(), launch.Resources);
        Assert.Equal((1, "cpu", "infra"), (launch.DataPartitions, launch.Device, launch.InfraCommand));
    }

    [Fact]
    public void ScoresSeedAndLaunchPrecisionAndAggregateReachTheRecords()
    {
        var pairwise = new ScoreRunArgumentsBinder(ScoreKind.Pairwise);
        var scored = pairwise.Bind(
            Parse(pairwise, "--model", "m", "--train", "t", "--queries", "q", "--seed", "7", "--precision", "float64")
        );
        Assert.Equal((7L, Precision.Float64), (scored.Score.Seed, scored.Score.Precision));
        var chain = new LaunchArgumentsBinder(() => "infra", keepPaths: true);
        var launched = chain.Bind(
            Parse(
                chain,
                ["--model", "m", "--data", "d", "--out", "o", "--queries", "q"],
                "--precision",
                "float64",
                "--aggregate-queries",
                "--seed",
                "7",
                "--modules",
                "mlp"
            )
        );
        var score = launched.Scores!.Score;
        Assert.Equal((Precision.Float64, true, 7L), (score.Precision, score.AggregateQueries, score.Seed));
        Assert.Equal((7L, ModuleSelection.Mlp), (launched.Factors.Fit.Seed, launched.Factors.Fit.Modules));

        // The commands themselves take them, and no command declares an option twice.
        var root = InfraSharp.Cli.Program.BuildRoot();
        Command Leaf(params string[] names) =>
            names.Aggregate((Command)root, (c, n) => c.Subcommands.Single(s => s.Name == n));
        Assert.Contains(Leaf("scores", "pairwise").Options, o => o.Name == "--seed");
        foreach (var launcher in new[] { "slurm", "kubernetes" })
        foreach (var option in new[] { "--precision", "--aggregate-queries", "--seed", "--per-token" })
            Assert.Contains(Leaf("launch", launcher).Options, o => o.Name == option);
        void NoTwice(Command c)
        {
            Assert.True(
                c.Options.Select(o => o.Name).Distinct().Count() == c.Options.Count,
                $"{c.Name} declares an option twice"
            );
            foreach (var s in c.Subcommands)
                NoTwice(s);
        }
        NoTwice(root);
    }

    private static ParseResult Parse<T>(ArgumentsBinder<T> binder, string[] required, params string[] more) =>
        Parse(binder, [.. required, .. more]);

    [Fact]
    public void LaunchWritesTheScoresOptionsIntoTheJobs()
    {
        string local = Fixtures.TempDir();
        var r = InfraProcess.Run([
            "launch",
            "kubernetes",
            "--model",
            "/shared/models/qwen",
            "--data",
            "/shared/data/train.jsonl",
            "--queries",
            "/shared/data/queries.jsonl",
            "--out",
            "/shared/runs/r1",
            "--write-to",
            local,
            "--image",
            "registry.example/infra:1.0",
            "--pvc",
            "infra-shared",
            "--precision",
            "float64",
            "--aggregate-queries",
            "--seed",
            "7",
            "--query-rank",
            "4",
        ]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string scores = File.ReadAllText(
            Directory
                .GetFiles(Path.Combine(local, "launch", "kubernetes"), "*-scores.yaml")
                .Single(f => !Path.GetFileName(f).Contains("merge"))
        );
        Assert.Contains("--precision float64", scores);
        Assert.Contains("--aggregate-queries", scores);
        Assert.Contains("--seed 7", scores);
        Assert.Contains("--query-rank 4", scores);
    }

    [Fact]
    public void ScoresSeedReachesTheManifest()
    {
        string s = Path.Combine(Fixtures.TempDir(), "scores");
        var r = InfraProcess.Run([
            "scores",
            "pairwise",
            "--model",
            Fixtures.Model("tiny-llama"),
            "--strategy",
            "identity",
            "--train",
            Fixtures.Path_("tiny-llama", "train.jsonl"),
            "--queries",
            Fixtures.Path_("tiny-llama", "queries.jsonl"),
            "--out",
            s,
            "--seed",
            "7",
            "--query-rank",
            "2",
        ]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var manifest = RunManifest.Read(s)!;
        Assert.Equal(7, manifest["arguments"]!["score"]!["seed"]!.GetValue<long>());
    }
}
