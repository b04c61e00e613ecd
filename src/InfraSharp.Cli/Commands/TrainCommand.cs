using System.CommandLine;
using InfraSharp.Training;
using TorchSharp;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra train</c>: SFT from a model folder, or from a freshly initialised model of a given
/// shape.</summary>
public static class TrainCommand
{
    /// <summary><see cref="TrainingRunArguments"/> paths to flags: a validation message names what was typed.</summary>
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["data"] = "--data",
        ["model"] = "--model",
        ["init"] = "--init",
        ["tokenizer"] = "--tokenizer",
        ["train_tokenizer"] = "--train-tokenizer",
        ["eval_data"] = "--eval-data",
        ["label_all"] = "--label-all",
        ["optimizer.epochs"] = "--epochs",
        ["optimizer.max_steps"] = "--max-steps",
        ["optimizer.batch_size"] = "--batch-size",
        ["optimizer.gradient_accumulation"] = "--grad-accum",
        ["optimizer.learning_rate"] = "--lr",
        ["optimizer.warmup_steps"] = "--warmup",
        ["optimizer.weight_decay"] = "--weight-decay",
        ["optimizer.clip_norm"] = "--clip",
        ["optimizer.seed"] = "--seed",
        ["optimizer.checkpoint_every"] = "--checkpoint-every",
    };

    public static Command Build()
    {
        var data = CliOptions.Path(
            "--data",
            "Training rows (JSONL/Parquet); a 'weight' field scales an example's loss"
        );
        var output = CliOptions.Path("--out", "Output model folder (Hugging Face format) with checkpoints");
        var model = CliOptions.OptionalPath("--model", "Model folder to fine-tune");
        var init = CliOptions.OptionalParsed<Models.ShapeSpec>(
            "--init",
            "Build a random model of this shape, e.g. layers=4,hidden=128,heads=4,kv_heads=2,mlp=384"
        );
        var tokenizer = CliOptions.OptionalPath("--tokenizer", "With --init: tokenizer folder to use");
        var trainTok = new Option<int?>("--train-tokenizer")
        {
            Description = "With --init: train a byte-level BPE tokenizer of this vocabulary size on the data",
        };
        var heldOut = CliOptions.OptionalPath("--eval-data", "Held-out rows: loss reported before and after");
        var epochs = CliOptions.Int("--epochs", "Passes over the data", 1);
        var maxSteps = CliOptions.Int("--max-steps", "Stop after this many optimizer steps (0: all epochs)", 0, min: 0);
        var batch = CliOptions.Int("--batch-size", "Examples per micro-batch", 8);
        var accum = CliOptions.Int("--grad-accum", "Micro-batches per optimizer step", 1);
        var lr = CliOptions.Double("--lr", "Peak learning rate", 1e-3, 0, exclusiveMin: true);
        var warmup = CliOptions.Int("--warmup", "Warmup steps", 20, min: 0);
        var wd = CliOptions.Double("--weight-decay", "AdamW weight decay", 0.01, 0);
        var clip = CliOptions.Double("--clip", "Gradient clipping (global norm)", 1.0, 0, exclusiveMin: true);
        var seed = CliOptions.Long("--seed", "Seed of initialisation and data order", 1);
        var ckpt = CliOptions.Int(
            "--checkpoint-every",
            "Write a resumable checkpoint every N steps (0: only when stopped)",
            0,
            min: 0
        );
        var resume = new Option<bool>("--resume") { Description = "Continue from the latest checkpoint in --out" };
        var labelAll = new Option<bool>("--label-all")
        {
            Description = "Loss on every token, not only assistant content",
        };
        var threads = CliOptions.Threads();
        var overwrite = CliOptions.Overwrite();
        var device = CliOptions.Device();
        var cmd = new Command(
            "train",
            "Supervised fine-tuning: AdamW, warmup + cosine, clipping, accumulation, per-example weights, resumable."
        )
        {
            data,
            output,
            model,
            init,
            tokenizer,
            trainTok,
            heldOut,
            epochs,
            maxSteps,
            batch,
            accum,
            lr,
            warmup,
            wd,
            clip,
            seed,
            ckpt,
            resume,
            labelAll,
            threads,
            overwrite,
            device,
        };
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    if (p.GetValue(threads) is int t)
                        torch.set_num_threads(t);
                    var args = new TrainingRunArguments
                    {
                        Data = p.GetValue(data)!,
                        Model = p.GetValue(model),
                        Init = p.GetValue(init),
                        Tokenizer = p.GetValue(tokenizer),
                        TrainTokenizer = p.GetValue(trainTok),
                        EvalData = p.GetValue(heldOut),
                        LabelAll = p.GetValue(labelAll),
                        Optimizer = new SftOptions
                        {
                            Epochs = p.GetValue(epochs),
                            MaxSteps = p.GetValue(maxSteps),
                            BatchSize = p.GetValue(batch),
                            GradientAccumulation = p.GetValue(accum),
                            LearningRate = p.GetValue(lr),
                            WarmupSteps = p.GetValue(warmup),
                            WeightDecay = p.GetValue(wd),
                            ClipNorm = p.GetValue(clip),
                            Seed = p.GetValue(seed),
                            CheckpointEvery = p.GetValue(ckpt),
                        },
                    };
                    // Ctrl-C or SIGTERM stops at the next step boundary with a checkpoint (exit 130 or 143).
                    TrainingRun.Run(
                        args,
                        p.GetValue(output)!,
                        CliRunner.Options with
                        {
                            Overwrite = p.GetValue(overwrite),
                            Device = p.GetValue(device)!,
                        },
                        p.GetValue(resume)
                    );
                    return 0;
                },
                flags: Flags
            )
        );
        return cmd;
    }
}
