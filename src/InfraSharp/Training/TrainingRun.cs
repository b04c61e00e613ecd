using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Training;

/// <summary>
/// The SFT run: prepares the starting model (loaded, or initialised with a given or freshly trained tokenizer),
/// trains it into an output model folder with resumable checkpoints, and reports held-out loss.
/// </summary>
public static class TrainingRun
{
    /// <summary>A finished training (a stopped one throws <see cref="OperationCanceledException"/>).</summary>
    public sealed record Result(
        double? HeldOutLossBefore,
        double? HeldOutLossAfter,
        IReadOnlyList<SftTrainer.StepLog> Log
    );

    /// <summary>Trains; <paramref name="resume"/> continues from the folder's latest checkpoint of this same
    /// run.</summary>
    public static Result Run(
        TrainingRunArguments arguments,
        string outDir,
        RunOptions? options = null,
        bool resume = false
    )
    {
        options ??= new RunOptions();
        var args = arguments.Normalized();
        args.Validate();
        if (args.Model is not null)
            LoadedModel.RequireFolder(args.Model, "--model");
        if (args.Tokenizer is not null)
            LoadedModel.RequireFolder(args.Tokenizer, "--tokenizer");
        var manifest = TrainingFolder.Manifest(
            args,
            new TrainingInputs
            {
                Data = Fingerprint.Files([args.Data]),
                Model = args.Model is null ? null : Fingerprint.Model(args.Model),
            }
        );
        manifest.Prepare(
            outDir,
            options.Overwrite,
            RunInput.Of(
                ("--data", args.Data),
                ("--eval-data", args.EvalData),
                ("--model", args.Model),
                ("--tokenizer", args.Tokenizer)
            ),
            options.Progress
        );
        // The final model is staged beside the folder (OUT.tmp-…): a killed run's staging is this run's to remove.
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        AtomicFile.RemoveAbandoned(
            Path.GetDirectoryName(full)!,
            rel => AtomicFile.TemporaryTarget(rel.TrimEnd('/')) == Path.GetFileName(full),
            recursive: false
        );
        var (lm, tokDir) = Prepare(args, outDir, options.Device);
        using var _ = lm;
        return Train(lm, tokDir, args, outDir, resume, options);
    }

    /// <summary>
    /// Trains an already prepared model (the demo retrains several mixes from one initialisation this way). A
    /// cancelled training writes a checkpoint of its last step and throws <see cref="OperationCanceledException"/>;
    /// the same call with <paramref name="resume"/> continues from it.
    /// </summary>
    public static Result Train(
        CausalLM lm,
        string tokenizerDir,
        TrainingRunArguments args,
        string outDir,
        bool resume = false,
        RunOptions? options = null
    )
    {
        options ??= new RunOptions();
        var progress = options.Progress;
        var tok = Tokenizer.Load(tokenizerDir);
        var enc = new ExampleEncoder(
            tok,
            new EncodeOptions
            {
                LabelAllTokens = args.LabelAll,
                MaxLength = lm.Config.MaxPositionEmbeddings,
                VocabSize = lm.Config.VocabSize,
                AllowRepeatedIds = true, // a curated mix repeats rows to upweight them
            }
        );
        var train = enc.EncodeFile(args.Data);
        if (train.Count == 0)
            throw InputError.Argument($"--data {args.Data}: the dataset is empty");
        var held = args.EvalData is string h ? enc.EncodeFile(h) : null;
        int pad = tok.PadId ?? 0;
        double? before = held is null ? null : LossEvaluator.MeanLoss(lm, held, padId: pad);
        if (before is double b)
            ProgressMeter.Note(progress, $"held-out loss before: {b:F4}");
        var trainer = new SftTrainer(lm, args.Optimizer, outDir, tokenizerDir) { Progress = progress };
        string? from = resume ? SftTrainer.LatestCheckpoint(outDir) : null;
        if (resume && from is null)
            ProgressMeter.Note(progress, "no checkpoint to resume from; starting fresh");
        if (!trainer.Train(train, from, pad, options.Cancellation))
            throw new OperationCanceledException(
                "training stopped with a checkpoint of its last step; resume it with the same arguments",
                options.Cancellation
            );
        WriteArguments(outDir, args);
        double? after = held is not null ? LossEvaluator.MeanLoss(lm, held, padId: pad) : null;
        if (after is double a)
            ProgressMeter.Note(progress, $"held-out loss after: {a:F4}");
        return new Result(before, after, trainer.Log);
    }

    /// <summary>The model to train and the folder its tokenizer comes from.</summary>
    public static (CausalLM Model, string TokenizerDir) Prepare(
        TrainingRunArguments args,
        string outDir,
        string device = ComputeDevice.Cpu
    )
    {
        // Training keeps float32 weights: AdamW's updates on bfloat16 weights would round away.
        var on = ComputeDevice.Parse(device);
        if (args.Model is not null)
            return (ModelLoader.Load(args.Model, ScalarType.Float32, on), args.Model);
        string tokDir;
        if (args.Tokenizer is not null)
            tokDir = args.Tokenizer;
        else
        {
            OutputFolder.Create(outDir);
            var corpus = DatasetReader
                .Read(args.Data)
                .Select(r =>
                    r.Fields["messages"] is not null ? CorpusText(r) : r.Fields["text"]?.GetValue<string>() ?? ""
                );
            BpeTrainer.TrainAndSave(corpus, args.TrainTokenizer!.Value, outDir);
            tokDir = outDir;
        }
        var tok = Tokenizer.Load(tokDir);
        var cfg = args.Init!.Value.ToConfig(tok.Bpe.VocabSize, tok.EosId is int e ? [e] : [], tok.PadId);
        return (CausalLM.Initialize(cfg, args.Optimizer.Seed, ScalarType.Float32, on), tokDir);
    }

    /// <summary>
    /// Writes <paramref name="args"/> as <see cref="TrainingFolder.ArgumentsFile"/> into the model folder <paramref
    /// name="modelDir"/>.
    /// </summary>
    public static void WriteArguments(string modelDir, TrainingRunArguments args) =>
        AtomicFile.WriteAllText(
            Path.Combine(modelDir, TrainingFolder.ArgumentsFile),
            JsonSerializer.Serialize(args, TrainingJson.Manifest.TrainingRunArguments) + "\n"
        );

    /// <summary>The arguments a model folder was trained with; bad input when it was not written by <c>infra
    /// train</c>.</summary>
    public static TrainingRunArguments ReadArguments(string modelDir, string option = "--model")
    {
        string path = Path.Combine(modelDir, TrainingFolder.ArgumentsFile);
        if (!File.Exists(path))
            throw InputError.MissingFile(
                $"{option} {modelDir}: no {TrainingFolder.ArgumentsFile} (train the model with infra train, "
                    + "which records how it was trained)",
                path
            );
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), TrainingJson.Manifest.TrainingRunArguments)
                ?? throw InputError.Data($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw InputError.Data($"{path}: not a training arguments record ({e.Message})");
        }
    }

    /// <summary>The text a tokenizer is trained on: every message's content, a line each.</summary>
    private static string CorpusText(DataRow r) =>
        string.Concat(r.Fields["messages"]!.AsArray().Select(m => m!["content"]?.GetValue<string>() + "\n"));
}
