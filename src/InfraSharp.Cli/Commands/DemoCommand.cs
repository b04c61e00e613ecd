using System.CommandLine;
using System.Diagnostics;
using InfraSharp.Curation;
using InfraSharp.Evaluation;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Reporting;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Training;
using InfraSharp.Training.Synthetic;
using InfraSharp.Validation;
using TorchSharp;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra demo</c>: the whole method on its embedded default, on a laptop CPU: synthetic data, a tiny model
/// trained from scratch, greedy answers on the held-out problems, accuracy by domain and difficulty.
/// </summary>
public static class DemoCommand
{
    public sealed record Settings(
        int TrainSize,
        int EvalPerCell,
        int QueriesPerCell,
        int Epochs,
        int Vocab,
        string Shape,
        int BatchSize,
        double LearningRate,
        int MaxNewTokens
    )
    {
        // Measured here: 1,000 steps of batch 8 train the 0.9M-parameter model in about two minutes on 2 cores; the
        // demo trains four such models (original and three mixes), evaluates each on 1,000 held-out problems and
        // fits EK-FAC with per-token scores in 14:20 in all.
        public static readonly Settings Full = new(
            2000,
            100,
            10,
            4,
            768,
            "layers=4,hidden=128,heads=4,kv_heads=2,mlp=384",
            8,
            2e-3,
            256
        );
        public static readonly Settings Quick = new(
            800,
            4,
            2,
            3,
            640,
            "layers=3,hidden=96,heads=4,kv_heads=2,mlp=288",
            8,
            3e-3,
            200
        );
    }

    /// <summary>What the demo writes into its folder (each stage's folder also has a manifest of its own).</summary>
    public static readonly string[] OwnedFiles =
    [
        "data/**",
        "model/**",
        "eval/**",
        "queries-eval/**",
        "queries-correct.jsonl",
        "factors/**",
        "scores/**",
        "analysis/**",
        "retrain/**",
        "before-after.csv",
    ];

    public static Command Build()
    {
        var output = new Option<string>("--out")
        {
            Description = "Output folder",
            DefaultValueFactory = _ => "demo-out",
        };
        var quick = new Option<bool>("--quick") { Description = "A smaller run (about a third of the time)" };
        var seed = CliOptions.Int("--seed", "Seed of data, initialisation and order", 1, min: 0);
        var seeds = CliOptions.Int(
            "--seeds",
            "Repeat the before/after trainings over this many seeds (mean and spread)",
            1
        );
        var device = CliOptions.Device();
        var cmd = new Command(
            "demo",
            "Run the Infra method end to end on the embedded default: synthetic data, a tiny model trained from scratch, influence attribution, report, curation, retraining and the before/after table."
        )
        {
            output,
            quick,
            seed,
            seeds,
            device,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
                Run(
                    p.GetValue(output)!,
                    p.GetValue(quick) ? Settings.Quick : Settings.Full,
                    p.GetValue(seed),
                    p.GetValue(seeds),
                    p.GetValue(device)!
                )
            )
        );
        return cmd;
    }

    public static int Run(string outDir, Settings s, int seed, int seeds = 1, string device = ComputeDevice.Cpu)
    {
        var on = new RunOptions { Overwrite = true, Device = device };
        if (seeds < 1)
            throw InputError.Argument("--seeds must be at least 1");
        var total = Stopwatch.StartNew();
        // The demo's folder is a run folder like any other: new, empty or an earlier demo's; a rerun with other
        // settings replaces only what a demo writes, and refuses (naming it) when anything else is there.
        new RunManifest(
            "demo",
            new System.Text.Json.Nodes.JsonObject
            {
                ["settings"] = s.ToString(),
                ["seed"] = seed,
                ["seeds"] = seeds,
            },
            new System.Text.Json.Nodes.JsonObject(),
            new System.Text.Json.Nodes.JsonObject()
        )
        {
            Owns = OwnedFiles,
        }.Prepare(outDir, overwrite: true);
        string dataDir = Path.Combine(outDir, "data"),
            modelDir = Path.Combine(outDir, "model");

        ProgressLog.Line($"1/8 synthetic data -> {dataDir}");
        var splits = SyntheticDataset.Generate(
            new SyntheticDataset.Options
            {
                Seed = seed,
                Size = s.TrainSize,
                QueriesPerCell = s.QueriesPerCell,
                EvalPerCell = s.EvalPerCell,
            }
        );
        SyntheticDataset.Write(dataDir, splits);
        string trainPath = Path.Combine(dataDir, "train.jsonl");

        ProgressLog.Line($"2/8 train a {s.Shape} model from scratch -> {modelDir}");
        var o = new SftOptions
        {
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            LearningRate = s.LearningRate,
            WarmupSteps = 50,
            Seed = seed,
        };
        var trainArgs = new TrainingRunArguments
        {
            Data = trainPath,
            Init = Models.ShapeSpec.Parse(s.Shape),
            TrainTokenizer = s.Vocab,
            EvalData = Path.Combine(dataDir, "eval.jsonl"),
            Optimizer = o,
        };
        var originalClock = Stopwatch.StartNew();
        var trained = TrainingRun.Run(trainArgs, modelDir, on);
        using var loaded = LoadedModel.Load(modelDir, ComputeDType.Float32, device);
        var lm = loaded.Model;
        var tok = loaded.Tokenizer;
        string tokDir = modelDir;
        var train = loaded.Encode(trainPath);
        ProgressLog.Line(
            $"model: {lm.ParameterCount / 1e6:F2}M parameters, vocabulary {tok.Bpe.VocabSize}; {train.Count} examples, {train.Sum(e => e.Length)} tokens"
        );
        double before = trained.HeldOutLossBefore ?? double.NaN,
            after = trained.HeldOutLossAfter ?? double.NaN;
        ProgressLog.Line($"held-out loss {before:F3} -> {after:F3}");

        ProgressLog.Line("3/8 greedy answers on the held-out problems");
        var (summary, originalResults) = Evaluate(
            lm,
            tok,
            modelDir,
            Path.Combine(dataDir, "eval.jsonl"),
            Path.Combine(outDir, "eval"),
            s.MaxNewTokens
        );
        double originalSeconds = originalClock.Elapsed.TotalSeconds;

        ProgressLog.Line("4/8 keep the query problems the model answers correctly");
        string queriesPath = CorrectQueries(
            lm,
            tok,
            modelDir,
            Path.Combine(dataDir, "queries.jsonl"),
            Path.Combine(outDir, "queries-correct.jsonl"),
            s.MaxNewTokens
        );

        ProgressLog.Line("5/8 influence: MLP-only EK-FAC factors, pairwise and per-token scores");
        string factorDir = Path.Combine(outDir, "factors"),
            scoreDir = Path.Combine(outDir, "scores");
        Influence(modelDir, trainPath, queriesPath, factorDir, scoreDir, device);

        ProgressLog.Line("6/8 attribution analysis and report");
        var analysis = AnalysisRun.Run(
            new AnalysisRunArguments
            {
                Scores = scoreDir,
                Train = trainPath,
                Queries = queriesPath,
                Title = ReportTitle,
            },
            Path.Combine(outDir, "analysis"),
            on
        );

        ProgressLog.Line(
            "7/8 curate the next training mix: flip-difficulty, attribute-influence, and a random control of the same size"
        );
        var rows = DatasetReader.Read(trainPath).Select(r => r.Fields).ToList();
        var mixes = new List<(string Name, string Path, string Summary)>();
        foreach (
            var (name, result) in new[]
            {
                (
                    "flip-difficulty",
                    CurationRun.Apply(new CurationRunArguments { Data = trainPath, Seed = seed }, rows)
                ),
                (
                    "attribute-influence",
                    CurationRun.Apply(
                        new CurationRunArguments
                        {
                            Data = trainPath,
                            Strategy = CurationStrategy.AttributeInfluence,
                            Analysis = Path.Combine(outDir, "analysis"),
                            Seed = seed,
                        },
                        rows
                    )
                ),
                ("random-control", RandomControl(rows, seed)),
            }
        )
        {
            string path = Path.Combine(dataDir, $"train-{name}.jsonl");
            Storage.JsonlFile.Write(path, result.Rows);
            mixes.Add((name, path, result.Summary));
        }

        ProgressLog.Line(
            $"8/8 retrain from the same initialisation with the same token budget, evaluate (seeds: {seeds})"
        );
        long budget = (long)s.Epochs * train.Sum(e => (long)e.Length);
        var cfg = lm.Config;
        var runs = new List<(string Model, int Seed, EvalSummary Summary, double Seconds)>();
        var graded = new List<BeforeAfterComparison.Run>();
        runs.Add(("original", seed, summary, originalSeconds));
        graded.Add(new("original", seed, originalResults));
        for (int k = 0; k < seeds; k++)
        {
            int sd = seed + k;
            var candidates = new List<(string Name, string Path)>();
            if (k > 0)
                candidates.Add(("original", trainPath));
            candidates.AddRange(mixes.Select(m => (m.Name, m.Path)));
            foreach (var (name, path) in candidates)
            {
                var sw = Stopwatch.StartNew();
                string dir = Path.Combine(outDir, "retrain", $"{name}-seed{sd}");
                using var model = CausalLM.Initialize(
                    cfg,
                    sd,
                    TorchSharp.torch.ScalarType.Float32,
                    ComputeDevice.Parse(device)
                );
                TrainingRun.Train(
                    model,
                    tokDir,
                    trainArgs with
                    {
                        Data = path,
                        EvalData = null,
                        Optimizer = o with { Seed = sd, TokenBudget = budget },
                    },
                    dir
                );
                var (sum, results) = Evaluate(
                    model,
                    tok,
                    dir,
                    Path.Combine(dataDir, "eval.jsonl"),
                    Path.Combine(dir, "eval"),
                    s.MaxNewTokens
                );
                runs.Add((name, sd, sum, sw.Elapsed.TotalSeconds));
                graded.Add(new(name, sd, results));
                ProgressLog.Line(
                    $"{name} (seed {sd}): math {Accuracy(sum, "math"):P1}, code {Accuracy(sum, "code"):P1} ({sw.Elapsed.TotalSeconds:F0}s)"
                );
            }
        }

        Console.WriteLine();
        Console.WriteLine(
            $"## Accuracy on held-out problems (greedy), {lm.ParameterCount / 1e6:F2}M-parameter model trained from scratch"
        );
        Console.WriteLine();
        Console.WriteLine(summary.ToMarkdown());
        Console.WriteLine($"held-out loss {before:F3} -> {after:F3}");
        Console.WriteLine();
        Console.WriteLine(
            "## Cross-domain influence (mean normalised influence of training examples on correctly answered queries, 95% CI)"
        );
        Console.WriteLine();
        Console.WriteLine(AnalysisWriter.CrossTableMarkdown(analysis));
        foreach (var m in mixes)
        {
            Console.WriteLine($"### {m.Name}");
            Console.WriteLine();
            Console.WriteLine(m.Summary);
        }
        Console.WriteLine(
            $"## Before / after: accuracy on held-out problems, same initialisation and token budget ({seeds} seed{(seeds > 1 ? "s" : "")}; mean ± sd)"
        );
        Console.WriteLine();
        Console.WriteLine(BeforeAfterTable(runs));
        // Paired differences: each mix against the original and against the random control, seed k with seed k.
        var paired = BeforeAfterComparison.Compare(graded, ["original", "random-control"], seed);
        BeforeAfterComparison.WriteCsv(Path.Combine(outDir, "before-after.csv"), paired);
        Console.WriteLine(
            $"## Paired differences (points; 95% bootstrap CI over problems and seeds; * = CI excludes 0; {Path.Combine(outDir, "before-after.csv")} has McNemar's p per seed)"
        );
        Console.WriteLine();
        Console.WriteLine(BeforeAfterComparison.Markdown(paired));
        HtmlReport.Write(
            Path.Combine(outDir, "analysis", "report.html"),
            analysis,
            ReportTitle,
            [BeforeAfterReport.Section(paired)]
        );
        Console.WriteLine(
            $"report: {Path.Combine(outDir, "analysis", "report.html")}; wall time {total.Elapsed.TotalSeconds:F0}s"
        );
        Console.WriteLine("explore the scores: " + ExploreCommandLine(outDir, trainPath, queriesPath));
        return 0;
    }

    /// <summary>The <c>infra explore</c> command over a demo's outputs (scores, data, factors for new answers).</summary>
    public static string ExploreCommandLine(string outDir, string trainPath, string queriesPath) =>
        $"infra explore --scores {Quote(Path.Combine(outDir, "scores"))} --train {Quote(trainPath)} "
        + $"--queries {Quote(queriesPath)} --factors {Quote(Path.Combine(outDir, "factors"))}";

    private static string Quote(string path) =>
        path.IndexOfAny([' ', '\'', '"']) < 0 ? path : "'" + path.Replace("'", "'\\''") + "'";

    private const string ReportTitle = "InfraSharp demo: which training data helps math and code";

    /// <summary>Rows drawn uniformly at random with replacement: a control of the same size as the curated mixes.</summary>
    public static CurationResult RandomControl(IReadOnlyList<System.Text.Json.Nodes.JsonObject> rows, int seed)
    {
        var rng = new Random(seed + 7919);
        var drawn = Enumerable
            .Range(0, rows.Count)
            .Select(_ =>
            {
                var o = (System.Text.Json.Nodes.JsonObject)rows[rng.Next(rows.Count)].DeepClone();
                o["weight"] = 1.0;
                return o;
            })
            .ToList();
        return new CurationResult(
            drawn,
            "random control: rows drawn uniformly with replacement\n\n" + LevelDistribution.Table(rows, drawn)
        );
    }

    private static double Accuracy(EvalSummary s, string domain, string difficulty = "all") =>
        s.Groups.FirstOrDefault(g => g.Domain == domain && g.Difficulty == difficulty)?.Accuracy ?? double.NaN;

    /// <summary>One row per training mix: math and code accuracy overall and per level, mean ± sd over seeds.</summary>
    public static string BeforeAfterTable(
        IReadOnlyList<(string Model, int Seed, EvalSummary Summary, double Seconds)> runs
    )
    {
        var cols = new List<(string Domain, string Level)> { ("math", "all"), ("code", "all") };
        foreach (var d in new[] { "math", "code" })
            for (int l = 1; l <= 5; l++)
                cols.Add((d, l.ToString()));
        var sb = new System.Text.StringBuilder(
            "| training mix | seeds | "
                + string.Join(" | ", cols.Select(c => c.Level == "all" ? $"{c.Domain}" : $"{c.Domain} L{c.Level}"))
                + " | train+eval s |\n"
        );
        sb.Append("|---|---|" + string.Concat(cols.Select(_ => "---|")) + "---|\n");
        foreach (var g in runs.GroupBy(r => r.Model))
        {
            sb.Append($"| {g.Key} | {g.Count()} |");
            foreach (var (d, l) in cols)
            {
                var xs = g.Select(r => Accuracy(r.Summary, d, l)).Where(x => !double.IsNaN(x)).ToList();
                double mean = xs.Count == 0 ? double.NaN : xs.Average();
                double sd =
                    xs.Count > 1 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) : double.NaN;
                sb.Append(double.IsNaN(sd) ? $" {mean * 100:F1}% |" : $" {mean * 100:F1} ± {sd * 100:F1}% |");
            }
            sb.Append($" {g.Average(r => r.Seconds):F0} |\n");
        }
        return sb.ToString();
    }

    /// <summary>
    /// The queries the trained model answers correctly (greedy), as the Infra paper selects them. A domain
    /// with no correct answer keeps all its queries, with a warning, so that both domains stay in the analysis.
    /// </summary>
    public static string CorrectQueries(
        CausalLM lm,
        Tokenizer tok,
        string modelDir,
        string queries,
        string outPath,
        int maxNewTokens,
        int maxPerDomain = 8
    )
    {
        var summaryDir = Path.Combine(Path.GetDirectoryName(outPath)!, "queries-eval");
        Evaluate(lm, tok, modelDir, queries, summaryDir, maxNewTokens);
        var correct = Storage
            .JsonlFile.ReadObjects(Path.Combine(summaryDir, "results.jsonl"))
            .Where(r => (r["correct"] ?? r["passed"])?.GetValue<bool>() == true)
            .Select(r => r["problem_id"]!.ToString())
            .ToHashSet();
        var rows = DatasetReader.Read(queries).ToList();
        var kept = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var g in rows.GroupBy(r => r.Fields["domain"]?.ToString() ?? ""))
        {
            var ok = g.Where(r => correct.Contains(Evaluator.ProblemId(r))).ToList();
            if (ok.Count == 0)
                ProgressLog.Line(
                    $"warning: no {g.Key} query answered correctly; keeping all {g.Count()} {g.Key} queries"
                );
            else
                ProgressLog.Line($"{g.Key}: {ok.Count} of {g.Count()} queries answered correctly");
            // At most maxPerDomain per domain, spread over levels: per-token scoring costs queries x training tokens.
            var chosen = (ok.Count == 0 ? g.ToList() : ok)
                .GroupBy(r => r.Fields["difficulty"]?.ToString() ?? "")
                .SelectMany(l => l.Select((r, i) => (r, i)))
                .OrderBy(x => x.i)
                .Take(maxPerDomain)
                .Select(x => x.r);
            kept.AddRange(chosen.Select(r => r.Fields));
        }
        Storage.JsonlFile.Write(outPath, kept);
        return outPath;
    }

    /// <summary>MLP-only EK-FAC (the paper's setting), then pairwise and per-token scores of the mean log-likelihood.</summary>
    public static void Influence(
        string modelDir,
        string trainPath,
        string queriesPath,
        string factorDir,
        string scoreDir,
        string device = ComputeDevice.Cpu
    )
    {
        var fresh = new RunOptions { Overwrite = true, Device = device };
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = modelDir,
                Data = trainPath,
                Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
            },
            factorDir,
            fresh
        );
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = modelDir,
                Factors = factorDir,
                Train = trainPath,
                Queries = queriesPath,
                Score = new ScoreArguments { PerToken = true, Measurement = Measurement.MeanLogProb },
            },
            scoreDir,
            fresh
        );
    }

    /// <summary>Greedy completions for math and code rows of a file, graded; results under <paramref name="outDir"/>.</summary>
    public static (EvalSummary Summary, List<SampleResult> Results) Evaluate(
        CausalLM lm,
        Tokenizer tok,
        string modelDir,
        string problemsPath,
        string outDir,
        int maxNewTokens
    )
    {
        var rows = DatasetReader.Read(problemsPath).ToList();
        var opts = new GenerationOptions
        {
            MaxNewTokens = maxNewTokens,
            StopTokenIds = TextGenerator.StopTokens(modelDir, lm.Config, tok.EosId),
            PadTokenId = tok.PadId ?? 0,
        };
        var completions = Evaluator.Complete(lm, tok, rows, opts, 1, 32);
        var math = rows.Where(r => r.Fields["domain"]?.ToString() == "math").ToList();
        var code = rows.Where(r => r.Fields["domain"]?.ToString() == "code").ToList();
        var mathIds = math.Select(Evaluator.ProblemId).ToHashSet();
        var results = Evaluator.GradeMath(math, completions.Where(c => mathIds.Contains(c.ProblemId)).ToList());
        results.AddRange(
            Evaluator.GradeCode(
                code,
                completions.Where(c => !mathIds.Contains(c.ProblemId)).ToList(),
                new SandboxLimits { WallTime = TimeSpan.FromSeconds(5), MemoryBytes = 512L << 20 }
            )
        );
        var summary = EvalSummary.Compute(results);
        summary.Write(outDir, results);
        return (summary, results);
    }
}
