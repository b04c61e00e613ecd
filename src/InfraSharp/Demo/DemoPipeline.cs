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
using static TorchSharp.torch;

namespace InfraSharp.Demo;

/// <summary>
/// What the demo and the experiment share, inside a folder whose manifest the caller has prepared: synthetic data
/// with a candidate pool, the original model, its answers, the queries it answers correctly, EK-FAC factors and
/// scores, the analysis, each mix selected from the pool (scoring the pool where a mix ranks it), and every
/// (mix, seed) retraining, graded. The retrainings are the units a partition shares out; everything before them runs
/// once, under a lock, whichever partition comes first (the others find it done and go on).
/// </summary>
internal static class DemoPipeline
{
    // Not options: the settings the demo's numbers were measured with.
    private const int WarmupSteps = 50;
    private const int QueriesPerDomain = 8;
    private const int GenerationBatch = 32;
    private const double SandboxSeconds = 5;
    private const int SandboxMemoryMb = 512;

    /// <summary>Candidate pool rows per training row: what every mix is selected from.</summary>
    public const int PoolFactor = 3;

    /// <summary>The lock the steps before the retrainings run under (partitions share one folder).</summary>
    public const string LockFile = ".prepare.lock";

    /// <summary>What the pipeline produced; <see cref="Complete"/> false when other partitions still retrain.</summary>
    public sealed record Outcome(
        bool Complete,
        string OutDir,
        long ParameterCount,
        double HeldOutLossBefore,
        double HeldOutLossAfter,
        EvalSummary Original,
        AttributionResult Attribution,
        IReadOnlyList<DemoMix> Mixes,
        IReadOnlyList<DemoRetraining> Runs,
        IReadOnlyList<BeforeAfterComparison.Run> Graded,
        int Units,
        int UnitsDone
    );

    /// <summary>The analysis and where its inputs are (what claims and reports read).</summary>
    public sealed record AttributionResult(
        Attribution.AnalysisResult Analysis,
        string AnalysisDir,
        string ScoreDir,
        string TrainPath,
        string QueriesPath
    );

    /// <summary>Runs (or resumes) the steps and this partition's retrainings.</summary>
    public static Outcome Run(DemoRunArguments a, IReadOnlyList<MixPlan> plans, string outDir, RunOptions options)
    {
        var cancel = options.Cancellation;
        var progress = options.Progress;
        // The steps get the run's device, cancellation and overwrite; each is whole.
        var on = options with { Partition = Partition.Whole };
        string dataDir = Path.Combine(outDir, "data"),
            modelDir = Path.Combine(outDir, "model"),
            trainPath = Path.Combine(dataDir, "train.jsonl"),
            evalPath = Path.Combine(dataDir, "eval.jsonl"),
            poolPath = Path.Combine(dataDir, SyntheticDataset.PoolFile);
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

        DemoStage training;
        EvalSummary originalSummary;
        List<SampleResult> originalResults;
        AttributionResult attribution;
        List<DemoMix> mixes;
        double evalSeconds;
        cancel.ThrowIfCancellationRequested();
        using (FileLock.Acquire(Path.Combine(outDir, LockFile), progress))
        {
            var journal = DemoStages.Open(outDir);
            cancel.ThrowIfCancellationRequested();
            ProgressMeter.Note(progress, $"1/8 synthetic data and a {PoolFactor}x candidate pool -> {dataDir}");
            // Seeded: a resumed run writes the same bytes, so the fingerprints its stages recorded still match.
            SyntheticDataset.Write(
                dataDir,
                SyntheticDataset.Generate(
                    new SyntheticDataset.Options
                    {
                        Seed = a.Seed,
                        Size = a.TrainSize,
                        QueriesPerCell = a.QueriesPerCell,
                        EvalPerCell = a.EvalPerCell,
                        PoolFactor = PoolFactor,
                    }
                )
            );

            cancel.ThrowIfCancellationRequested();
            ProgressMeter.Note(progress, $"2/8 train a {a.Shape} model from scratch -> {modelDir}");
            training = journal.Done("original-training")
                ?? journal.Record("original-training", TrainOriginal(trainArgs, modelDir, on));

            cancel.ThrowIfCancellationRequested();
            ProgressMeter.Note(progress, "3/8 greedy answers on the held-out problems");
            string evalDir = Path.Combine(outDir, "eval");
            (originalResults, evalSeconds) = Graded(journal, "original-eval", evalDir, () =>
                EvaluationRun.Run(Evaluation(modelDir, evalPath, a), evalDir, on)
            );
            originalSummary = EvalSummary.Compute(originalResults);

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
                    Title = DemoRun.ReportTitle,
                },
                analysisDir,
                on
            );
            attribution = new AttributionResult(analysis, analysisDir, scoreDir, trainPath, queriesPath);

            cancel.ThrowIfCancellationRequested();
            ProgressMeter.Note(
                progress,
                $"7/8 select the next training mixes from the pool ({string.Join(", ", plans.Select(p => p.Name))}), "
                    + "each with the original's rows, domain counts and token budget"
            );
            var poolScores = ScorePool(plans, modelDir, poolPath, queriesPath, factorDir, outDir, on);
            mixes = Curate(plans, trainPath, poolPath, modelDir, analysisDir, poolScores, dataDir, a.Seed);
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

        // The units: every mix at every seed, and the original at every seed but the first (its model is the
        // original one). A partition retrains its contiguous share of them.
        long budget = (long)a.Epochs * train.Sum(e => (long)e.Length);
        var units = new List<(string Name, string Path, int Seed)>();
        for (int k = 0; k < a.Seeds; k++)
        {
            if (k > 0)
                units.Add(("original", trainPath, a.Seed + k));
            units.AddRange(mixes.Select(m => (m.Name, m.Path, a.Seed + k)));
        }
        var (first, last) = options.Partition.Range(units.Count);
        ProgressMeter.Note(
            progress,
            $"8/8 retrain from the same initialisation with the same token budget, evaluate (seeds: {a.Seeds}; "
                + $"retrainings {first + 1}-{last} of {units.Count}"
                + (options.Partition.IsWhole ? ")" : $", partition {options.Partition})")
        );
        for (int u = first; u < last; u++)
        {
            cancel.ThrowIfCancellationRequested();
            var (name, path, sd) = units[u];
            var retraining = trainArgs with
            {
                Data = Path.GetFullPath(path),
                EvalData = null,
                Optimizer = optimizer with { Seed = sd, TokenBudget = budget },
            };
            var (results, seconds) = Retrain(
                retraining,
                loaded.Model.Config,
                modelDir,
                Path.Combine(outDir, "retrain", $"{name}-seed{sd}"),
                Evaluation(modelDir, evalPath, a),
                options
            );
            var summary = EvalSummary.Compute(results);
            ProgressMeter.Note(
                progress,
                $"{name} (seed {sd}): math {BeforeAfterTable.Accuracy(summary, "math"):P1}, "
                    + $"code {BeforeAfterTable.Accuracy(summary, "code"):P1} ({seconds:F0}s)"
            );
        }

        // Whatever partition finds every unit graded gathers them all (in unit order, so every gatherer agrees).
        var finished = DemoStages.Open(outDir);
        var runs = new List<DemoRetraining>
        {
            new("original", a.Seed, originalSummary, training.Seconds + evalSeconds),
        };
        var graded = new List<BeforeAfterComparison.Run> { new("original", a.Seed, originalResults) };
        int done = 0;
        foreach (var (name, _, sd) in units)
        {
            string dir = Path.Combine(outDir, "retrain", $"{name}-seed{sd}");
            if (finished.Done(Stage(dir)) is not { } record)
                continue;
            done++;
            var results = EvaluationRun.ReadResults(Path.Combine(dir, "eval"));
            runs.Add(new(name, sd, EvalSummary.Compute(results), record.Seconds));
            graded.Add(new(name, sd, results));
        }
        return new Outcome(
            done == units.Count,
            outDir,
            loaded.Model.ParameterCount,
            before,
            after,
            originalSummary,
            attribution,
            mixes,
            runs,
            graded,
            units.Count,
            done
        );
    }

    private static DemoStage TrainOriginal(TrainingRunArguments trainArgs, string modelDir, RunOptions on)
    {
        var clock = Stopwatch.StartNew();
        var trained = TrainingRun.Run(
            trainArgs,
            modelDir,
            on,
            resume: SftTrainer.LatestCheckpoint(modelDir) is not null
        );
        return new DemoStage(clock.Elapsed.TotalSeconds, trained.HeldOutLossBefore, trained.HeldOutLossAfter);
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
    /// is recorded, then the results are read back, so a fresh and a resumed run see the same rows).
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
            done = journal.Record(stage, new DemoStage(clock.Elapsed.TotalSeconds));
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
    /// The pool's pairwise scores against the queries for every score source a mix ranks the pool by, each in
    /// <c>scores-pool-SOURCE/</c>: EK-FAC with the original's factors (mean log-likelihood, as the analysis), or a
    /// baseline without factors.
    /// </summary>
    private static Dictionary<StrategyKind, string> ScorePool(
        IReadOnlyList<MixPlan> plans,
        string modelDir,
        string poolPath,
        string queriesPath,
        string factorDir,
        string outDir,
        RunOptions on
    )
    {
        var dirs = new Dictionary<StrategyKind, string>();
        foreach (var kind in plans.Select(p => p.PoolScores).OfType<StrategyKind>().Distinct())
        {
            string dir = Path.Combine(outDir, $"scores-pool-{EnumNames.Of(kind)}");
            bool baseline = BaselineScores.IsBaseline(kind);
            ScoreRun.Run(
                new ScoreRunArguments
                {
                    Model = modelDir,
                    Factors = baseline ? null : factorDir,
                    Strategy = kind,
                    Train = poolPath,
                    Queries = queriesPath,
                    Score = new ScoreArguments { Measurement = Measurement.MeanLogProb },
                },
                dir,
                on
            );
            dirs[kind] = dir;
        }
        return dirs;
    }

    /// <summary>
    /// The mixes, each selected from the pool and written beside the training data as <c>train-NAME.jsonl</c>
    /// (seeded: the same bytes again).
    /// </summary>
    private static List<DemoMix> Curate(
        IReadOnlyList<MixPlan> plans,
        string trainPath,
        string poolPath,
        string modelDir,
        string analysisDir,
        IReadOnlyDictionary<StrategyKind, string> poolScores,
        string dataDir,
        int seed
    )
    {
        var rows = DatasetReader.Read(trainPath).Select(r => r.Fields).ToList();
        var pool = PoolSelection.Read(poolPath, rows);
        var mixes = new List<DemoMix>();
        foreach (var plan in plans)
        {
            var result = CurationRun.Apply(
                new CurationRunArguments
                {
                    Data = trainPath,
                    Strategy = plan.Strategy,
                    Analysis = plan.Strategy == CurationStrategy.AttributeInfluence ? analysisDir : null,
                    Scores = plan.PoolScores is StrategyKind k ? poolScores[k] : null,
                    Pool = poolPath,
                    Tokenizer = modelDir,
                    Seed = seed,
                },
                rows,
                pool
            );
            string path = Path.Combine(dataDir, $"train-{plan.Name}.jsonl");
            JsonlFile.Write(path, result.Rows);
            mixes.Add(new DemoMix(plan.Name, path, result.Summary));
        }
        return mixes;
    }

    /// <summary>The journal's name of the retraining in <paramref name="dir"/>.</summary>
    private static string Stage(string dir) => "retrain/" + Path.GetFileName(dir);

    /// <summary>
    /// One retraining from the original initialisation (the original config at this seed) on a mix, graded in
    /// <c>DIR/eval</c>. Reused when the journal records it; a training that finished before the run stopped is
    /// kept (its <c>training_args.json</c> is written last and must be these arguments), one that stopped at a
    /// checkpoint continues from it.
    /// </summary>
    private static (List<SampleResult> Results, double Seconds) Retrain(
        TrainingRunArguments retraining,
        ModelConfig config,
        string tokenizerDir,
        string dir,
        EvaluationRunArguments evaluation,
        RunOptions options
    )
    {
        string device = options.Device;
        string evalDir = Path.Combine(dir, "eval");
        string outDir = Path.GetDirectoryName(Path.GetDirectoryName(dir))!;
        string data = Fingerprint.Files([retraining.Data]);
        if (DemoStages.Open(outDir).Done(Stage(dir)) is { } done)
        {
            if (done.Data is not null && done.Data != data)
                throw InputError.Data(
                    $"{dir}: trained on another {Path.GetFileName(retraining.Data)} than the one selected now (the "
                        + "selection changed since); remove that folder, or start over with --overwrite"
                );
            return (EvaluationRun.ReadResults(evalDir), done.Seconds);
        }
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
        var record = DemoStages
            .Open(outDir)
            .Record(Stage(dir), new DemoStage(clock.Elapsed.TotalSeconds) { Data = data });
        return (results, record.Seconds);
    }
}
