using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Training;
using static TorchSharp.torch;

namespace InfraSharp.Validation;

/// <summary>
/// The linear datamodeling score run. It draws the random subsets (<c>subsets/</c>), retrains the model on each
/// from the original initialisation with the original training arguments (<c>retrain/</c>; each subset and seed an
/// independent task, partitionable as <c>i/n</c>), caches what each retrained model measures on the queries
/// (<c>measurements/</c>), and, once all are there, scores every strategy asked for and writes <c>lds.csv</c>,
/// <c>lds_points.csv</c> and <c>summary.md</c>. The last partition to finish computes the table.
/// </summary>
public static class LdsRun
{
    /// <summary>What an LDS run did.</summary>
    /// <param name="Complete">True when every retraining is measured and the table computed; false after a partition
    /// while others remain.</param>
    /// <param name="Scores">Each strategy's LDS (empty until complete).</param>
    /// <param name="Message">The LDS table as Markdown, or what remains.</param>
    public sealed record Result(bool Complete, IReadOnlyList<LinearDatamodelingScore> Scores, string Message);

    /// <summary>
    /// Draws the subsets, retrains and measures (this partition's share) and, once all are measured, scores every
    /// strategy of <paramref name="evaluation"/>, into <paramref name="outDir"/>.
    /// </summary>
    public static Result Run(
        LdsRunArguments arguments,
        LdsEvaluation evaluation,
        string outDir,
        RunOptions? options = null
    )
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        args.Validate();
        evaluation.Validate();
        var original = TrainingRun.ReadArguments(args.Model);
        var tok = Tokenizer.Load(args.Model);
        var config = ModelConfig.Load(args.Model);
        var encoder = new ExampleEncoder(
            tok,
            new EncodeOptions { MaxLength = config.MaxPositionEmbeddings, VocabSize = config.VocabSize }
        );
        var queries = encoder.EncodeFile(args.Queries);
        if (queries.Count == 0)
            throw InputError.Argument($"--queries {args.Queries}: the dataset is empty");
        // Encoding checks every row once, up front (a bad row is one line naming it, before any retraining).
        var trainIds = encoder.EncodeFile(args.Train).Select(e => e.Id).ToList();
        var rows = DatasetReader.Read(args.Train).ToList();
        if (rows.Count != trainIds.Count)
            throw InputError.Data($"--train {args.Train}: {rows.Count} rows but {trainIds.Count} encoded examples");
        if (rows.Count < 2)
            throw InputError.Argument($"--train {args.Train}: at least 2 rows are needed to draw subsets");

        var manifest = LdsFolder.Manifest(
            args,
            new LdsInputs
            {
                Model = Fingerprint.Model(args.Model),
                Train = Fingerprint.Files([args.Train]),
                Queries = ExampleFingerprint.Of(queries),
                TrainingArgs = original,
                BaseModel = original.Model is null ? null : Fingerprint.Model(original.Model),
            },
            new LdsPlan { SubsetSize = SubsetDraw.Size(rows.Count, args.Fraction), TrainRows = rows.Count },
            new LdsInfo { Device = options.Device, Sign = "lds > 0: larger summed scores, better measured query" }
        );
        manifest.Prepare(
            outDir,
            options.Overwrite,
            RunInput
                .Of(
                    ("--model", args.Model),
                    ("--train", args.Train),
                    ("--queries", args.Queries),
                    ("base model", original.Model),
                    ("training data", original.Data)
                )
                .Concat(evaluation.Scores.Select(s => new RunInput("--scores", s))),
            options.Progress
        );

        var subsets = WriteSubsets(outDir, args, rows.Count);
        string measured = Path.Combine(outDir, LdsFolder.MeasurementsFolder);
        OutputFolder.Create(measured);
        int tasks = args.Subsets * args.Seeds;
        var (first, last) = options.Partition.Range(tasks);
        var progress = new ProgressMeter(
            options.Progress,
            $"lds retrainings {options.Partition}",
            last - first,
            "retrainings"
        );
        for (int t = first; t < last; t++)
        {
            options.Cancellation.ThrowIfCancellationRequested();
            int s = t / args.Seeds,
                k = t % args.Seeds;
            if (!File.Exists(Path.Combine(measured, LdsMeasurement.FileName(s, k))))
                Retrain(args, original, config, rows, subsets[s], s, k, queries, outDir, options, tok.PadId ?? 0)
                    .Write(measured);
            progress.Report(t + 1 - first);
        }

        int present = Enumerable
            .Range(0, tasks)
            .Count(t => File.Exists(Path.Combine(measured, LdsMeasurement.FileName(t / args.Seeds, t % args.Seeds))));
        if (present < tasks)
            return new Result(
                false,
                [],
                $"partition {options.Partition} done: {present} of {tasks} retrainings measured; "
                    + "the partition that completes them computes the LDS (or rerun without --partition)"
            );
        // Several partitions can find the set complete at once: the table is computed under a lock, once per call.
        using var _ = FileLock.Acquire(Path.Combine(outDir, ".lds.lock"));
        var table = Evaluate(args, evaluation, outDir, subsets, queries, trainIds, options);
        LdsTables.Write(outDir, table.Scores, table.Points, args);
        return new Result(true, table.Scores, LdsTables.Markdown(table.Scores, args));
    }

    /// <summary>
    /// The subsets: drawn again by every task (the draw is seeded), written once as index files for readers.
    /// </summary>
    private static List<int[]> WriteSubsets(string outDir, LdsRunArguments args, int n)
    {
        string dir = Path.Combine(outDir, LdsFolder.SubsetsFolder);
        OutputFolder.Create(dir);
        var list = new List<int[]>();
        for (int s = 0; s < args.Subsets; s++)
        {
            var indices = SubsetDraw.Draw(n, args.Fraction, args.Seed, s);
            string path = Path.Combine(dir, $"subset-{s:D4}.json");
            if (!File.Exists(path))
                AtomicFile.WriteAllText(
                    path,
                    new JsonObject { ["subset"] = s, ["indices"] = JsonlFile.Ints(indices) }.ToJsonString() + "\n"
                );
            list.Add(indices);
        }
        return list;
    }

    /// <summary>
    /// One retraining: the subset's rows, the original initialisation (the base model, or the shape initialised from
    /// the original seed) and the original arguments, with seed index k shifting the data order only.
    /// </summary>
    private static LdsMeasurement Retrain(
        LdsRunArguments args,
        TrainingRunArguments original,
        ModelConfig config,
        IReadOnlyList<DataRow> rows,
        int[] subset,
        int s,
        int k,
        IReadOnlyList<EncodedExample> queries,
        string outDir,
        RunOptions options,
        int padId
    )
    {
        string dir = Path.Combine(outDir, LdsFolder.RetrainFolder, $"subset-{s:D4}-seed-{k:D2}");
        OutputFolder.Create(dir);
        string data = Path.Combine(dir, "train.jsonl");
        if (!File.Exists(data))
            JsonlFile.Write(data, subset.Select(i => rows[i].Fields));
        var on = ComputeDevice.Parse(options.Device);
        using var model = original.Model is not null
            ? ModelLoader.Load(original.Model, ScalarType.Float32, on)
            : CausalLM.Initialize(config, original.Optimizer.Seed, ScalarType.Float32, on);
        var retrain = original with
        {
            Data = data,
            EvalData = null,
            Optimizer = original.Optimizer with { Seed = original.Optimizer.Seed + k },
        };
        // Only this run's cancellation and progress: the retraining is a step of the LDS run, not a run of its own.
        TrainingRun.Train(
            model,
            args.Model,
            retrain,
            dir,
            resume: true,
            new RunOptions { Cancellation = options.Cancellation, Progress = options.Progress }
        );
        var m = LdsMeasurement.Measure(model, queries, s, k, padId);
        // The measurements are the cache; N x K retrained models' weights are what a cluster's disk cannot hold at 7B.
        foreach (var f in Directory.EnumerateFiles(dir, "*.safetensors"))
            File.Delete(f);
        foreach (var c in Directory.EnumerateDirectories(dir, "checkpoint-*"))
            Directory.Delete(c, recursive: true);
        return m;
    }

    private sealed record Table(List<LinearDatamodelingScore> Scores, List<LdsTables.Point> Points);

    private static Table Evaluate(
        LdsRunArguments args,
        LdsEvaluation evaluation,
        string outDir,
        List<int[]> subsets,
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<string> trainIds,
        RunOptions options
    )
    {
        var measurements = new LdsMeasurement[args.Subsets, args.Seeds];
        for (int s = 0; s < args.Subsets; s++)
        for (int k = 0; k < args.Seeds; k++)
        {
            var m = LdsMeasurement.Read(
                Path.Combine(outDir, LdsFolder.MeasurementsFolder, LdsMeasurement.FileName(s, k))
            );
            if (!m.QueryIds.SequenceEqual(queries.Select(q => q.Id)))
                throw InputError.Data($"{outDir}/measurements/{LdsMeasurement.FileName(s, k)}: measured other queries");
            measurements[s, k] = m;
        }
        var sources = new List<(string Name, string Dir)>();
        foreach (var kind in evaluation.Strategies)
            sources.Add((EnumNames.Of(kind), ScoreStrategy(args, evaluation, kind, outDir, options)));
        foreach (var dir in evaluation.Scores)
            sources.Add((Path.GetFileName(Path.GetFullPath(dir).TrimEnd('/')), dir));

        var scores = new List<LinearDatamodelingScore>();
        var points = new List<LdsTables.Point>();
        foreach (var (name, dir) in sources)
        {
            var (matrix, measurement) = ReadScores(dir, args, trainIds, queries);
            var benefit = new double[args.Subsets, queries.Count];
            for (int s = 0; s < args.Subsets; s++)
            for (int k = 0; k < args.Seeds; k++)
            {
                var b = measurements[s, k].Benefit(measurement);
                for (int q = 0; q < queries.Count; q++)
                    benefit[s, q] += b[q] / args.Seeds;
            }
            var lds = LinearDatamodelingScore.Compute(name, matrix, subsets, benefit, args.Seed);
            scores.Add(lds);
            var predicted = SubsetDraw.Sums(matrix, subsets);
            for (int q = 0; q < queries.Count; q++)
            for (int s = 0; s < args.Subsets; s++)
                points.Add(new LdsTables.Point(name, queries[q].Id, s, predicted[s, q], benefit[s, q]));
            ProgressMeter.Note(
                options.Progress,
                $"LDS {name}: {lds.Lds:F3} [{lds.CiLow:F3}, {lds.CiHigh:F3}] over {lds.Queries} queries"
            );
        }
        return new Table(scores, points);
    }

    /// <summary>
    /// A strategy's factors and pairwise scores on the original model, as runs of their own (resumed when there); a
    /// baseline's scores alone.
    /// </summary>
    private static string ScoreStrategy(
        LdsRunArguments args,
        LdsEvaluation evaluation,
        StrategyKind kind,
        string outDir,
        RunOptions options
    )
    {
        string root = Path.Combine(outDir, LdsFolder.StrategiesFolder, EnumNames.Of(kind)),
            factors = Path.Combine(root, "factors"),
            scores = Path.Combine(root, "scores");
        var run = new RunOptions
        {
            Device = options.Device,
            Cancellation = options.Cancellation,
            Progress = options.Progress,
        };
        // A baseline (random, repsim, bm25) scores from the rows alone: no factor run, the kind named instead.
        bool baseline = BaselineScores.IsBaseline(kind);
        if (!baseline)
            FactorRun.Run(
                new FactorRunArguments
                {
                    Model = args.Model,
                    Data = args.Train,
                    Fit = new FactorArguments
                    {
                        Strategy = kind,
                        Modules = evaluation.Modules,
                        TokensPerBatch = evaluation.TokensPerBatch,
                    },
                },
                factors,
                run
            );
        var result = ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = args.Model,
                Factors = baseline ? null : factors,
                Strategy = baseline ? kind : null,
                Train = args.Train,
                Queries = args.Queries,
                Score = new ScoreArguments
                {
                    Measurement = evaluation.Measurement,
                    TokensPerBatch = evaluation.TokensPerBatch,
                    // The random baseline's draws: the LDS run's seed, so that a rerun gives the same null.
                    Seed = baseline ? args.Seed : 0,
                },
            },
            scores,
            run
        );
        if (!result.Complete)
            throw new InvalidOperationException($"{scores}: the score run did not complete ({result.Message})");
        return scores;
    }

    /// <summary>
    /// A pairwise score folder's [queries, train] matrix and measurement, checked against this LDS run's rows.
    /// </summary>
    private static (double[,] Scores, Measurement Measurement) ReadScores(
        string dir,
        LdsRunArguments args,
        IReadOnlyList<string> trainIds,
        IReadOnlyList<EncodedExample> queries
    )
    {
        var folder = RunFolder.Open(
            dir,
            "--scores",
            "pairwise score or full-scores index query folder",
            ScoreFolder.PairwiseKind,
            Index.IndexQueryFolder.Kind
        );
        if (folder.Kind == Index.IndexQueryFolder.Kind)
            return ReadIndexScores(Index.IndexQueryFolder.From(folder), args, trainIds, queries);
        var scores = ScoreFolder.From(folder);
        if (scores.ModelFingerprint != Fingerprint.Model(args.Model))
            throw InputError.Data($"--scores {dir}: computed for another model than {args.Model}");
        if (scores.Arguments.Score.AggregateQueries)
            throw InputError.Data($"--scores {dir}: aggregated queries have no per-query scores");
        var (q, t) = ScoreFiles.ReadExamples(dir);
        if (!t.Select(x => x.Id).SequenceEqual(trainIds))
            throw InputError.Data($"--scores {dir}: its training rows are not those of --train {args.Train}");
        if (!q.Select(x => x.Id).SequenceEqual(queries.Select(x => x.Id)))
            throw InputError.Data($"--scores {dir}: its queries are not those of --queries {args.Queries}");
        string path = scores.PairwisePath;
        if (!File.Exists(path))
            throw InputError.MissingFile($"--scores {dir}: no {ScoreFolder.PairwiseFile} (merge its partitions)", path);
        return (ReadMatrix(path, ScoreFolder.ScoresTensor), scores.Measurement);
    }

    /// <summary>
    /// The full scores of an <c>infra index query --full-scores</c> folder: rows in the index's order, which must be
    /// the training file's; the queries those of the LDS run.
    /// </summary>
    private static (double[,] Scores, Measurement Measurement) ReadIndexScores(
        Index.IndexQueryFolder folder,
        LdsRunArguments args,
        IReadOnlyList<string> trainIds,
        IReadOnlyList<EncodedExample> queries
    )
    {
        string dir = folder.Dir;
        if (folder.Inputs.Model != Fingerprint.Model(args.Model))
            throw InputError.Data($"--scores {dir}: the index was built for another model than {args.Model}");
        if (!folder.Info.Queries.SequenceEqual(queries.Select(x => x.Id)))
            throw InputError.Data($"--scores {dir}: its queries are not those of --queries {args.Queries}");
        if (folder.Info.RowIdsSha256 != Index.IndexQueryFolder.RowIdsFingerprint(trainIds))
            throw InputError.Data($"--scores {dir}: the index's rows were not those of --train {args.Train}");
        string path = folder.ScoresPath;
        if (!File.Exists(path))
            throw InputError.MissingFile(
                $"--scores {dir}: no {Index.IndexQueryFolder.ScoresFile} (query the index with --full-scores)",
                path
            );
        var m = ReadMatrix(path, Index.IndexQueryFolder.ScoresTensor);
        if (m.GetLength(0) != queries.Count || m.GetLength(1) != trainIds.Count)
            throw InputError.Data(
                $"{path}: scores [{m.GetLength(0)}, {m.GetLength(1)}], expected [{queries.Count}, {trainIds.Count}]"
            );
        return (m, folder.Measurement);
    }

    private static double[,] ReadMatrix(string path, string tensor)
    {
        using var scope = NewDisposeScope();
        var m = SafeTensorsFile.Open(path).Read(tensor).to(ScalarType.Float64).contiguous();
        var flat = m.data<double>().ToArray();
        var a = new double[m.shape[0], m.shape[1]];
        Buffer.BlockCopy(flat, 0, a, 0, flat.Length * 8);
        return a;
    }
}
