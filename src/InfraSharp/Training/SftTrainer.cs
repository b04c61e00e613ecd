using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Training;

/// <summary>
/// Supervised fine-tuning on encoded examples: loss on labelled tokens only (assistant content by default),
/// each example's token losses scaled by its weight and the sum divided by the step's labelled-token count;
/// AdamW with warmup + cosine, global-norm clipping, gradient accumulation. The data order is a seeded
/// permutation per epoch, so a run resumed from a checkpoint replays exactly the steps it had left.
/// </summary>
public sealed class SftTrainer(CausalLM model, SftOptions options, string outDir, string tokenizerDir)
{
    /// <summary>One optimizer step's figures.</summary>
    /// <param name="Step">The step number (1-based).</param>
    /// <param name="Loss">The step's weighted loss per labelled token.</param>
    /// <param name="LearningRate">The rate applied at this step.</param>
    /// <param name="GradNorm">Global gradient norm before clipping.</param>
    /// <param name="TokensPerSecond">Tokens processed per second since the last progress report.</param>
    public sealed record StepLog(long Step, double Loss, double LearningRate, double GradNorm, double TokensPerSecond);

    /// <summary>Every step run in this process, in order.</summary>
    public List<StepLog> Log { get; } = [];

    /// <summary>The checkpoint folder name of step <paramref name="step"/> (<c>checkpoint-000123</c>).</summary>
    public static string CheckpointName(long step) => $"checkpoint-{step:D6}";

    /// <summary>
    /// The latest complete checkpoint folder in <paramref name="outDir"/>, or null when there is none.
    /// </summary>
    public static string? LatestCheckpoint(string outDir) =>
        Directory.Exists(outDir)
            ? Directory
                .GetDirectories(outDir, "checkpoint-*")
                .Where(d => !d.EndsWith(".partial") && File.Exists(Path.Combine(d, "trainer_state.json")))
                .OrderBy(d => d, StringComparer.Ordinal)
                .LastOrDefault()
            : null;

    /// <summary>
    /// Optimizer steps the run takes on <paramref name="train"/>: epochs or token budget, capped by the step limit.
    /// </summary>
    public long TotalSteps(IReadOnlyList<EncodedExample> train)
    {
        int per = options.BatchSize * options.GradientAccumulation;
        long perEpoch = (train.Count + per - 1) / per;
        long total =
            options.TokenBudget > 0
                ? (long)Math.Ceiling(options.TokenBudget / (train.Average(e => (double)e.Length) * per))
                : perEpoch * options.Epochs;
        return options.MaxSteps > 0 ? Math.Min(options.MaxSteps, total) : total;
    }

    /// <summary>Trains; with <paramref name="resumeFrom"/>, restores weights, optimizer moments and step
    /// first.</summary>
    /// <returns>False when <paramref name="cancel"/> stopped it early (a checkpoint of the last finished step is
    /// written).</returns>
    public bool Train(
        IReadOnlyList<EncodedExample> train,
        string? resumeFrom = null,
        int padId = 0,
        CancellationToken cancel = default
    )
    {
        if (train.Count == 0)
            throw InputError.Argument("no training examples");
        model.RequiresGrad(true);
        using var opt = new AdamW(model.Parameters, options);
        long start = 0;
        if (resumeFrom is not null)
            start = Restore(resumeFrom, opt);
        long total = TotalSteps(train);
        int per = options.BatchSize * options.GradientAccumulation;
        long perEpoch = (train.Count + per - 1) / per;
        var progress = new ProgressMeter(Progress, "train", total, "steps");
        var weights = train
            .Select(e => e.Attributes[options.WeightField] is JsonValue v && v.TryGetValue<double>(out var w) ? w : 1.0)
            .ToArray();
        int[]? order = null;
        long orderEpoch = -1;
        var sw = Stopwatch.StartNew();
        long tokensSince = 0;
        for (long step = start; step < total; step++)
        {
            long epoch = step / perEpoch;
            if (epoch != orderEpoch)
            {
                order = EpochOrder(train, per, options.Seed * 1_000_003 + epoch);
                orderEpoch = epoch;
            }
            int first = (int)(step % perEpoch) * per;
            var idx = order!.Skip(first).Take(per).ToList();
            long labelled = idx.Sum(i =>
                (long)Math.Max(0, train[i].Labels.Skip(1).Count(l => l != EncodedExample.IgnoreIndex))
            );
            // The step's loss stays on the model's device until the step ends (one host read per step, for the log).
            using var lossSum = zeros(1, dtype: ScalarType.Float64, device: model.Device);
            for (int a = 0; a < options.GradientAccumulation; a++)
            {
                var micro = idx.Skip(a * options.BatchSize).Take(options.BatchSize).ToList();
                if (micro.Count == 0)
                    break;
                using var scope = NewDisposeScope();
                var batch = Batching.Pad(micro.Select(i => train[i]).ToList(), padId);
                var tokLoss = LanguageModelLoss.PerTokenLoss(
                    model.Forward(batch.InputIds, batch.AttentionMask),
                    batch.Labels
                );
                var w = tensor(micro.Select(i => (float)weights[i]).ToArray(), device: model.Device).unsqueeze(1);
                var loss = (tokLoss * w).sum() / Math.Max(1, labelled);
                loss.backward();
                lossSum.add_(loss.detach().to(ScalarType.Float64));
                tokensSince += micro.Sum(i => train[i].Length);
            }
            double norm = ClipGradients();
            double lr = LearningRateSchedule.At(step, total, options);
            opt.Update(lr);
            foreach (var p in model.Parameters.Values)
                p.grad?.zero_();
            double tps = tokensSince / Math.Max(1e-9, sw.Elapsed.TotalSeconds);
            Log.Add(new StepLog(step + 1, lossSum.item<double>(), lr, norm, tps));
            OnStep?.Invoke(Log[^1]);
            if ((step + 1) % options.LogEvery == 0 || step + 1 == total)
            {
                double recent = Log.TakeLast(options.LogEvery).Average(l => l.Loss);
                progress.Report(step + 1, $"loss {recent:F4}  lr {lr:E2}  {tps:F0} tok/s", force: true);
                sw.Restart();
                tokensSince = 0;
            }
            if (cancel.IsCancellationRequested && step + 1 < total)
            {
                SaveCheckpoint(step + 1, opt);
                ProgressMeter.Note(Progress, $"stopped at step {step + 1}; resume with the same command and --resume");
                model.RequiresGrad(false);
                return false;
            }
            if (options.CheckpointEvery > 0 && (step + 1) % options.CheckpointEvery == 0 && step + 1 < total)
                SaveCheckpoint(step + 1, opt);
        }
        model.RequiresGrad(false);
        CheckpointWriter.Save(model, outDir, tokenizerDir);
        WriteLog();
        return true;
    }

    /// <summary>Called after every optimizer step (progress displays, tests that interrupt a run).</summary>
    public Action<StepLog>? OnStep { get; set; }

    /// <summary>Where training reports its steps (with loss, learning rate and throughput) and notes.</summary>
    public IProgress<RunProgress>? Progress { get; init; }

    private double ClipGradients()
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var grads = model.Parameters.Values.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        double norm = Math.Sqrt(grads.Sum(g => g.to(ScalarType.Float64).pow(2).sum().item<double>()));
        if (options.ClipNorm > 0 && norm > options.ClipNorm)
            foreach (var g in grads)
                g.mul_(options.ClipNorm / (norm + 1e-6));
        return norm;
    }

    /// <summary>
    /// A seeded permutation, then sorted by length within windows of 8 steps so that a batch pads little;
    /// the windows' steps are shuffled again so that lengths don't trend within an epoch.
    /// </summary>
    private static int[] EpochOrder(IReadOnlyList<EncodedExample> train, int perStep, long seed)
    {
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var p = Enumerable.Range(0, train.Count).ToArray();
        rng.Shuffle(p);
        var result = new List<int>(p.Length);
        int window = perStep * 8;
        for (int w = 0; w < p.Length; w += window)
        {
            var sorted = p.Skip(w).Take(window).OrderBy(i => train[i].Length).ThenBy(i => i).ToList();
            var steps = Enumerable.Range(0, (sorted.Count + perStep - 1) / perStep).ToArray();
            rng.Shuffle(steps);
            foreach (var s in steps)
                result.AddRange(sorted.Skip(s * perStep).Take(perStep));
        }
        return result.ToArray();
    }

    private void SaveCheckpoint(long step, AdamW opt)
    {
        string final = Path.Combine(outDir, CheckpointName(step));
        string partial = final + ".partial";
        if (Directory.Exists(partial))
            Directory.Delete(partial, true);
        CheckpointWriter.Save(model, partial, tokenizerDir);
        var state = opt
            .M.Select(kv => KeyValuePair.Create("m." + kv.Key, kv.Value))
            .Concat(opt.V.Select(kv => KeyValuePair.Create("v." + kv.Key, kv.Value)));
        SafeTensorsFile.Write(Path.Combine(partial, "optimizer.safetensors"), state);
        var json = new JsonObject
        {
            ["step"] = step,
            ["log"] = new JsonArray(
                Log.Select(l =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["step"] = l.Step,
                                ["loss"] = l.Loss,
                                ["lr"] = l.LearningRate,
                            }
                    )
                    .ToArray()
            ),
        };
        AtomicFile.WriteAllText(
            Path.Combine(partial, "trainer_state.json"),
            json.ToJsonString(new JsonSerializerOptions { WriteIndented = true })
        );
        // A checkpoint appears under its final name only when complete.
        if (Directory.Exists(final))
            Directory.Delete(final, true);
        Directory.Move(partial, final);
        ProgressMeter.Note(Progress, $"checkpoint {final}");
    }

    private long Restore(string dir, AdamW opt)
    {
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "trainer_state.json")))!.AsObject();
        using (var saved = ModelLoader.Load(dir, model.DType))
        using (no_grad())
        {
            foreach (var (n, p) in model.Parameters)
                p.copy_(saved.Parameters[n]);
        }
        var moments = SafeTensorsFile.Open(Path.Combine(dir, "optimizer.safetensors"));
        using (no_grad())
        {
            foreach (var n in model.Parameters.Keys)
            {
                using var m = moments.Read("m." + n);
                using var v = moments.Read("v." + n);
                opt.M[n].copy_(m);
                opt.V[n].copy_(v);
            }
        }
        long step = state["step"]!.GetValue<long>();
        opt.Step = step;
        foreach (var l in state["log"]!.AsArray())
            Log.Add(
                new StepLog(
                    l!["step"]!.GetValue<long>(),
                    l["loss"]!.GetValue<double>(),
                    l["lr"]!.GetValue<double>(),
                    double.NaN,
                    double.NaN
                )
            );
        ProgressMeter.Note(Progress, $"resumed from {dir} at step {step}");
        return step;
    }

    private void WriteLog() =>
        JsonlFile.Write(
            Path.Combine(outDir, "trainer_log.jsonl"),
            Log.Select(l => new JsonObject
            {
                ["step"] = l.Step,
                ["loss"] = l.Loss,
                ["lr"] = l.LearningRate,
            })
        );
}
