using System.CommandLine;
using InfraSharp.Models;
using InfraSharp.Text;
using InfraSharp.Training;
using TorchSharp;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra train</c>: SFT from a model folder, or from a freshly initialised model of a given shape.</summary>
public static class TrainCommand
{
    public static Command Build()
    {
        var data = new Option<string>("--data") { Description = "Training rows (JSONL/Parquet); a 'weight' field scales an example's loss", Required = true };
        var output = new Option<string>("--out") { Description = "Output model folder (Hugging Face format) with checkpoints", Required = true };
        var model = new Option<string?>("--model") { Description = "Model folder to fine-tune" };
        var init = new Option<string?>("--init") { Description = "Build a random model of this shape, e.g. layers=4,hidden=128,heads=4,kv_heads=2,mlp=384" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "With --init: tokenizer folder to use" };
        var trainTok = new Option<int?>("--train-tokenizer") { Description = "With --init: train a byte-level BPE tokenizer of this vocabulary size on the data" };
        var heldOut = new Option<string?>("--eval-data") { Description = "Held-out rows: loss reported before and after" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 1, Description = "Passes over the data" };
        var maxSteps = new Option<int>("--max-steps") { Description = "Stop after this many optimizer steps" };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 8, Description = "Examples per micro-batch" };
        var accum = new Option<int>("--grad-accum") { DefaultValueFactory = _ => 1, Description = "Micro-batches per optimizer step" };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-3, Description = "Peak learning rate" };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 20, Description = "Warmup steps" };
        var wd = new Option<double>("--weight-decay") { DefaultValueFactory = _ => 0.01, Description = "AdamW weight decay" };
        var clip = new Option<double>("--clip") { DefaultValueFactory = _ => 1.0, Description = "Gradient clipping (global norm)" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 1, Description = "Seed of initialisation and data order" };
        var ckpt = new Option<int>("--checkpoint-every") { Description = "Write a resumable checkpoint every N steps" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the latest checkpoint in --out" };
        var labelAll = new Option<bool>("--label-all") { Description = "Loss on every token, not only assistant content" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads for torch" };
        var cmd = new Command("train", "Supervised fine-tuning: AdamW, warmup + cosine, clipping, accumulation, per-example weights, resumable.")
        { data, output, model, init, tokenizer, trainTok, heldOut, epochs, maxSteps, batch, accum, lr, warmup, wd, clip, seed, ckpt, resume, labelAll, threads };
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            if (p.GetValue(threads) is int t) torch.set_num_threads(t);
            var o = new SftOptions
            {
                Epochs = p.GetValue(epochs), MaxSteps = p.GetValue(maxSteps), BatchSize = p.GetValue(batch),
                GradientAccumulation = p.GetValue(accum), LearningRate = p.GetValue(lr), WarmupSteps = p.GetValue(warmup),
                WeightDecay = p.GetValue(wd), ClipNorm = p.GetValue(clip), Seed = p.GetValue(seed), CheckpointEvery = p.GetValue(ckpt),
            };
            string outDir = p.GetValue(output)!;
            var (lm, tokDir) = Prepare(p.GetValue(model), p.GetValue(init), p.GetValue(tokenizer), p.GetValue(trainTok), p.GetValue(data)!, outDir, o.Seed);
            using var _ = lm;
            var tok = Tokenizer.Load(tokDir);
            var enc = new ExampleEncoder(tok, new EncodeOptions { LabelAllTokens = p.GetValue(labelAll), MaxLength = lm.Config.MaxPositionEmbeddings });
            var train = enc.EncodeFile(p.GetValue(data)!);
            var held = p.GetValue(heldOut) is string h ? enc.EncodeFile(h) : null;
            int pad = tok.PadId ?? 0;
            if (held is not null) ProgressLog.Line($"held-out loss before: {LossEvaluator.MeanLoss(lm, held, padId: pad):F4}");
            var trainer = new SftTrainer(lm, o, outDir, tokDir);
            string? from = p.GetValue(resume) ? SftTrainer.LatestCheckpoint(outDir) : null;
            if (p.GetValue(resume) && from is null) ProgressLog.Line("no checkpoint to resume from; starting fresh");
            // Ctrl-C stops at the next step boundary with a checkpoint, instead of losing the run.
            using var cts = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            bool finished;
            try { finished = trainer.Train(train, from, pad, cts.Token); }
            finally { Console.CancelKeyPress -= onCancel; }
            if (!finished) return 130;
            if (held is not null) ProgressLog.Line($"held-out loss after: {LossEvaluator.MeanLoss(lm, held, padId: pad):F4}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>The model to train and the folder its tokenizer comes from.</summary>
    public static (CausalLM Model, string TokenizerDir) Prepare(string? model, string? init, string? tokenizer, int? trainTok, string data, string outDir, long seed)
    {
        if (model is not null)
        {
            if (init is not null) throw new ArgumentException("--model and --init exclude each other");
            return (ModelLoader.Load(model), model);
        }
        if (init is null) throw new ArgumentException("give --model to fine-tune, or --init SHAPE to start from scratch");
        string tokDir;
        if (tokenizer is not null) tokDir = tokenizer;
        else if (trainTok is int v)
        {
            Directory.CreateDirectory(outDir);
            var corpus = DatasetReader.Read(data).Select(r => r.Fields["messages"] is not null
                ? CorpusText(r) : r.Fields["text"]?.GetValue<string>() ?? "");
            BpeTrainer.TrainAndSave(corpus, v, outDir);
            tokDir = outDir;
        }
        else throw new ArgumentException("--init needs --tokenizer DIR or --train-tokenizer VOCAB");
        var tok = Tokenizer.Load(tokDir);
        var cfg = ModelShape.Parse(init, tok.Bpe.VocabSize, tok.EosId is int e ? [e] : [], tok.PadId);
        return (CausalLM.Initialize(cfg, seed), tokDir);
    }

    /// <summary>The text a tokenizer is trained on: every message's content, a line each.</summary>
    private static string CorpusText(DataRow r) =>
        string.Concat(r.Fields["messages"]!.AsArray().Select(m => m!["content"]?.GetValue<string>() + "\n"));
}
