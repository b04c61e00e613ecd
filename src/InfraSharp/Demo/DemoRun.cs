using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
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
using static TorchSharp.torch;

namespace InfraSharp.Demo;

/// <summary>
/// The whole method on its embedded default, composed of the library's runs, each in a folder of its own inside the
/// demo's: synthetic data, a tiny model trained from scratch, greedy answers on the held-out problems, the queries it
/// answers correctly, MLP-only EK-FAC factors with pairwise and per-token scores, the attribution analysis and
/// report, three curated mixes (flip-difficulty, attribute-influence and a random control), each retrained from the
/// same initialisation with the same token budget and evaluated, and the paired before/after comparison.
/// A rerun of the same demo resumes: the runs resume on their own, the trainings and gradings recorded in the
/// demo's journal are reused, and the seeded steps between them write the same bytes again.
/// </summary>
public static class DemoRun
{
    /// <summary>The run kind of a demo folder's manifest.</summary>
    public const string Kind = "demo";

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
        DemoStages.FileName,
    ];

    /// <summary>The title of the demo's HTML report.</summary>
    public const string ReportTitle = "InfraSharp demo: which training data helps math and code";

    // Not options of the demo: the settings its numbers were measured with.
    private const int WarmupSteps = 50;
    private const int QueriesPerDomain = 8;
    private const int GenerationBatch = 32;
    private const double SandboxSeconds = 5;
    private const int SandboxMemoryMb = 512;

    /// <summary>Runs (or resumes) the whole demo into <paramref name="outDir"/>.</summary>
    /// <returns>What the demo found: accuracies, influence tables, mixes and paired differences.</returns>
    public static DemoResult Run(DemoRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var a = arguments;
        a.Validate();
        if (!options.Partition.IsWhole)
            throw InputError.Argument("the demo runs whole; it takes no --partition");
        var cancel = options.Cancellation;
        var progress = options.Progress;
        var total = Stopwatch.StartNew();
        // The demo's folder is a run folder like any other: new, empty or an earlier demo's. The same demo resumes;
        // another is refused with a one-line diff, or with Overwrite has what a demo writes replaced (refusing,
        // naming it, when anything else is there).
        new RunManifest(
            Kind,
            JsonSerializer.SerializeToNode(a, DemoJson.Manifest.DemoRunArguments)!.AsObject(),
            new JsonObject(),
            new JsonObject()
        )
        {
            Owns = OwnedFiles,
        }.Prepare(outDir, options.Overwrite);
        var journal = DemoStages.Open(outDir);
        // The stages get the demo's device, cancellation and overwrite; each is whole.
        var on = options with { Partition = Partition.Whole };
        string dataDir = Path.Combine(outDir, "data"),
            modelDir = Path.Combine(outDir, "model"),
            trainPath = Path.Combine(dataDir, "train.jsonl"),
            evalPath = Path.Combine(dataDir, "eval.jsonl");

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(progress, $"1/8 synthetic data -> {dataDir}");
        // Seeded: a resumed demo writes the same bytes, so the fingerprints its stages recorded still match.
        SyntheticDataset.Write(
            dataDir,
            SyntheticDataset.Generate(
                new SyntheticDataset.Options
                {
                    Seed = a.Seed,
                    Size = a.TrainSize,
                    QueriesPerCell = a.QueriesPerCell,
                    EvalPerCell = a.EvalPerCell,
                }
            )
        );

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(progress, $"2/8 train a {a.Shape} model from scratch -> {modelDir}");
        var optimizer = new SftOptions
        {
            Epochs = a.Epochs,
            BatchSize = a.BatchSize,
            LearningRate = a.LearningRate,
            WarmupSteps = WarmupSteps,
            Seed = a.Seed,
        };
        var trainArgs = new TrainingRunArguments
        {
            Data = trainPath,
            Init = ShapeSpec.Parse(a.Shape),
            TrainTokenizer = a.Vocab,
            EvalData = evalPath,
            Optimizer = optimizer,
        }.Normalized();
        var training = journal.Done("original-training");
        if (training is null)
        {
            var clock = Stopwatch.StartNew();
            var trained = TrainingRun.Run(
                trainArgs,
                modelDir,
                on,
                resume: SftTrainer.LatestCheckpoint(modelDir) is not null
            );
            training = new DemoStage(clock.Elapsed.TotalSeconds, trained.HeldOutLossBefore, trained.HeldOutLossAfter);
            journal.Record("original-training", training);
        }
        using var loaded = LoadedModel.Load(modelDir, ComputeDType.Float32, options.Device);
        var train = loaded.Encode(trainPath);
        ProgressMeter.Note(
            progress,
            $"model: {loaded.Model.ParameterCount / 1e6:F2}M parameters, vocabulary {loaded.Tokenizer.Bpe.VocabSize}; "
                + $"{train.Count} examples, {train.Sum(e => e.Length)} tokens"
        );
        double before = training.HeldOutLossBefore ?? double.NaN,
            after = training.HeldOutLossAfter ?? double.NaN;
        ProgressMeter.Note(progress, $"held-out loss {before:F3} -> {after:F3}");

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(progress, "3/8 greedy answers on the held-out problems");
        string evalDir = Path.Combine(outDir, "eval");
        var (originalResults, evalSeconds) = Graded(journal, "original-eval", evalDir, () =>
            EvaluationRun.Run(Evaluation(modelDir, evalPath, a), evalDir, on)
        );
        var originalSummary = EvalSummary.Compute(originalResults);

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(progress, "4/8 keep the query problems the model answers correctly");
        string queriesEvalDir = Path.Combine(outDir, "queries-eval"),
            allQueries = Path.Combine(dataDir, "queries.jsonl");
        var (queryResults, _) = Graded(journal, "queries-eval", queriesEvalDir, () =>
            EvaluationRun.Run(Evaluation(modelDir, allQueries, a), queriesEvalDir, on)
        );
        string queriesPath = QuerySelection.CorrectQueries(
            allQueries,
            queryResults,
            Path.Combine(outDir, "queries-correct.jsonl"),
            QueriesPerDomain,
            progress
        );

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(progress, "5/8 influence: MLP-only EK-FAC factors, pairwise and per-token scores");
        string factorDir = Path.Combine(outDir, "factors"),
            scoreDir = Path.Combine(outDir, "scores");
        Influence(modelDir, trainPath, queriesPath, factorDir, scoreDir, on);

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(progress, "6/8 attribution analysis and report");
        string analysisDir = Path.Combine(outDir, "analysis");
        var analysis = AnalysisRun.Run(
            new AnalysisRunArguments
            {
                Scores = scoreDir,
                Train = trainPath,
                Queries = queriesPath,
                Title = ReportTitle,
            },
            analysisDir,
            on
        );

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(
            progress,
            "7/8 curate the next training mix: flip-difficulty, attribute-influence, and a random control of the "
                + "same size"
        );
        var mixes = Curate(trainPath, analysisDir, dataDir, a.Seed);

        cancel.ThrowIfCancellationRequested();
        ProgressMeter.Note(
            progress,
            $"8/8 retrain from the same initialisation with the same token budget, evaluate (seeds: {a.Seeds})"
        );
        long budget = (long)a.Epochs * train.Sum(e => (long)e.Length);
        var runs = new List<DemoRetraining>
        {
            new("original", a.Seed, originalSummary, training.Seconds + evalSeconds),
        };
        var graded = new List<BeforeAfterComparison.Run> { new("original", a.Seed, originalResults) };
        for (int k = 0; k < a.Seeds; k++)
        {
            int sd = a.Seed + k;
            var candidates = new List<(string Name, string Path)>();
            if (k > 0)
                candidates.Add(("original", trainPath));
            candidates.AddRange(mixes.Select(m => (m.Name, m.Path)));
            foreach (var (name, path) in candidates)
            {
                cancel.ThrowIfCancellationRequested();
                var retraining = trainArgs with
                {
                    Data = Path.GetFullPath(path),
                    EvalData = null,
                    Optimizer = optimizer with { Seed = sd, TokenBudget = budget },
                };
                var (results, seconds) = Retrain(
                    journal,
                    retraining,
                    loaded.Model.Config,
                    modelDir,
                    Path.Combine(outDir, "retrain", $"{name}-seed{sd}"),
                    Evaluation(modelDir, evalPath, a),
                    options
                );
                var summary = EvalSummary.Compute(results);
                runs.Add(new(name, sd, summary, seconds));
                graded.Add(new(name, sd, results));
                ProgressMeter.Note(
                    progress,
                    $"{name} (seed {sd}): math {BeforeAfterTable.Accuracy(summary, "math"):P1}, "
                        + $"code {BeforeAfterTable.Accuracy(summary, "code"):P1} ({seconds:F0}s)"
                );
            }
        }

        // Paired differences: each mix against the original and against the random control, seed k with seed k.
        var paired = BeforeAfterComparison.Compare(graded, ["original", "random-control"], a.Seed);
        BeforeAfterComparison.WriteCsv(Path.Combine(outDir, "before-after.csv"), paired);
        HtmlReport.Write(
            Path.Combine(analysisDir, "report.html"),
            analysis,
            ReportTitle,
            [BeforeAfterReport.Section(paired)]
        );
        return new DemoResult
        {
            OutDir = outDir,
            ParameterCount = loaded.Model.ParameterCount,
            HeldOutLossBefore = before,
            HeldOutLossAfter = after,
            Original = originalSummary,
            Analysis = analysis,
            Mixes = mixes,
            Runs = runs,
            Paired = paired,
            Seeds = a.Seeds,
            TrainPath = trainPath,
            QueriesPath = queriesPath,
            WallSeconds = total.Elapsed.TotalSeconds,
        };
    }

    /// <summary>
    /// Greedy answers of a model to a file of math and code problems, each graded by its own domain (code in the
    /// sandbox with the demo's limits).
    /// </summary>
    public static EvaluationRunArguments Evaluation(string model, string problems, DemoRunArguments a) =>
        new()
        {
            Domain = EvalDomain.Mixed,
            Problems = problems,
            Model = model,
            Sampling = new SamplingSettings { MaxNewTokens = a.MaxNewTokens, BatchSize = GenerationBatch },
            TimeoutSeconds = SandboxSeconds,
            MemoryMb = SandboxMemoryMb,
        };

    /// <summary>
    /// A grading step's results: read back when the journal records it finished, else graded now (how long it took
    /// is recorded, then the results are read back, so a fresh and a resumed demo see the same rows).
    /// </summary>
    private static (List<SampleResult> Results, double Seconds) Graded(
        DemoStages journal,
        string stage,
        string dir,
        Action grade
    )
    {
        var done = journal.Done(stage);
        if (done is null)
        {
            var clock = Stopwatch.StartNew();
            grade();
            done = new DemoStage(clock.Elapsed.TotalSeconds);
            journal.Record(stage, done);
        }
        return (EvaluationRun.ReadResults(dir), done.Seconds);
    }

    /// <summary>
    /// MLP-only EK-FAC (the paper's setting), then pairwise and per-token scores of the mean log-likelihood.
    /// </summary>
    private static void Influence(
        string modelDir,
        string trainPath,
        string queriesPath,
        string factorDir,
        string scoreDir,
        RunOptions on
    )
    {
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = modelDir,
                Data = trainPath,
                Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
            },
            factorDir,
            on
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
            on
        );
    }

    /// <summary>
    /// The three mixes, written beside the training data as <c>train-NAME.jsonl</c> (seeded: the same bytes again).
    /// </summary>
    private static List<DemoMix> Curate(string trainPath, string analysisDir, string dataDir, int seed)
    {
        var rows = DatasetReader.Read(trainPath).Select(r => r.Fields).ToList();
        var mixes = new List<DemoMix>();
        foreach (
            var (name, strategy) in new[]
            {
                ("flip-difficulty", CurationStrategy.FlipDifficulty),
                ("attribute-influence", CurationStrategy.AttributeInfluence),
                ("random-control", CurationStrategy.RandomControl),
            }
        )
        {
            var result = CurationRun.Apply(
                new CurationRunArguments
                {
                    Data = trainPath,
                    Strategy = strategy,
                    Analysis = strategy == CurationStrategy.AttributeInfluence ? analysisDir : null,
                    Seed = seed,
                },
                rows
            );
            string path = Path.Combine(dataDir, $"train-{name}.jsonl");
            JsonlFile.Write(path, result.Rows);
            mixes.Add(new DemoMix(name, path, result.Summary));
        }
        return mixes;
    }

    /// <summary>
    /// One retraining from the original initialisation (the original config at this seed) on a mix, graded in
    /// <c>DIR/eval</c>. Reused when the journal records it; a training that finished before the demo stopped is
    /// kept (its <c>training_args.json</c> is written last and must be these arguments), one that stopped at a
    /// checkpoint continues from it.
    /// </summary>
    private static (List<SampleResult> Results, double Seconds) Retrain(
        DemoStages journal,
        TrainingRunArguments retraining,
        ModelConfig config,
        string tokenizerDir,
        string dir,
        EvaluationRunArguments evaluation,
        RunOptions options
    )
    {
        string device = options.Device;
        string stage = "retrain/" + Path.GetFileName(dir),
            evalDir = Path.Combine(dir, "eval");
        if (journal.Done(stage) is { } done)
            return (EvaluationRun.ReadResults(evalDir), done.Seconds);
        var clock = Stopwatch.StartNew();
        bool trained =
            File.Exists(Path.Combine(dir, TrainingFolder.ArgumentsFile))
            && TrainingRun.ReadArguments(dir) == retraining;
        if (!trained)
        {
            using var model = CausalLM.Initialize(
                config,
                retraining.Optimizer.Seed,
                ScalarType.Float32,
                ComputeDevice.Parse(device)
            );
            TrainingRun.Train(
                model,
                tokenizerDir,
                retraining,
                dir,
                resume: SftTrainer.LatestCheckpoint(dir) is not null,
                options with
                {
                    Partition = Partition.Whole,
                }
            );
        }
        // Graded as saved (float32 weights, so exactly the trained model), inside the model's own folder as before.
        using var lm = LoadedModel.Load(dir, ComputeDType.Float32, device);
        var (_, results) = EvaluationRun.Evaluate(lm, evaluation with { Model = dir }, evalDir, options);
        var record = new DemoStage(clock.Elapsed.TotalSeconds);
        journal.Record(stage, record);
        return (results, record.Seconds);
    }
}
