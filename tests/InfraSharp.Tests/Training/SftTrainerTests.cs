using InfraSharp.Models;
using InfraSharp.Text;
using InfraSharp.Training;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Training;

public class SftTrainerTests
{
    private static (List<EncodedExample> Train, List<EncodedExample> Held) Data()
    {
        var enc = new ExampleEncoder(Tokenizer.Load(Fixtures.Model("tiny-qwen2")));
        var all = enc.EncodeFile(Fixtures.Path_("tiny-qwen2", "train.jsonl"));
        return (all.Take(96).ToList(), all.Skip(96).ToList());
    }

    private static SftOptions Opts =>
        new()
        {
            Epochs = 2,
            BatchSize = 8,
            GradientAccumulation = 2,
            LearningRate = 3e-3,
            WarmupSteps = 2,
            Seed = 11,
            LogEvery = 100,
        };

    [Fact]
    public void TrainingLowersHeldOutLossAndTheWrittenModelReloadsIdentically()
    {
        var (train, held) = Data();
        string dir = Fixtures.TempDir();
        // From scratch, as the demo does: a random model of a small shape on the fixture tokenizer.
        var tok = Tokenizer.Load(Fixtures.Model("tiny-qwen2"));
        var cfg = ModelShape.Parse("layers=2,hidden=64,heads=4,kv_heads=2,mlp=128", tok.Bpe.VocabSize, [2], 0);
        using var model = CausalLM.Initialize(cfg, seed: 3);
        double before = LossEvaluator.MeanLoss(model, held);
        new SftTrainer(model, Opts with { Epochs = 4 }, dir, Fixtures.Model("tiny-qwen2")).Train(train);
        double after = LossEvaluator.MeanLoss(model, held);
        Assert.True(after < before * 0.8, $"held-out loss {before} -> {after}");
        using var back = ModelLoader.Load(dir);
        var ids = tensor(train[0].InputIds.Select(x => (long)x).ToArray(), [1, train[0].Length]);
        using var _ = no_grad();
        Assert.Equal(0f, (model.Forward(ids) - back.Forward(ids)).abs().max().item<float>());
        Assert.True(File.Exists(Path.Combine(dir, "trainer_log.jsonl")));
    }

    [Fact]
    public void ResumedRunContinuesTheSameLossCurve()
    {
        var (train, _) = Data();
        // Uninterrupted.
        string a = Fixtures.TempDir();
        using var m1 = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        var t1 = new SftTrainer(m1, Opts, a, Fixtures.Model("tiny-qwen2"));
        t1.Train(train);
        // Interrupted after step 3, then resumed by a new trainer on a freshly loaded model.
        string b = Fixtures.TempDir();
        using var cts = new CancellationTokenSource();
        using (var m2 = ModelLoader.Load(Fixtures.Model("tiny-qwen2")))
        {
            var t2 = new SftTrainer(m2, Opts, b, Fixtures.Model("tiny-qwen2"))
            {
                OnStep = s =>
                {
                    if (s.Step == 3)
                        cts.Cancel();
                },
            };
            Assert.False(t2.Train(train, cancel: cts.Token));
        }
        string? ckpt = SftTrainer.LatestCheckpoint(b);
        Assert.NotNull(ckpt);
        Assert.EndsWith("checkpoint-000003", ckpt);
        using var m3 = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        var t3 = new SftTrainer(m3, Opts, b, Fixtures.Model("tiny-qwen2"));
        Assert.True(t3.Train(train, ckpt));
        Assert.Equal(t1.Log.Count, t3.Log.Count);
        for (int i = 0; i < t1.Log.Count; i++)
            Assert.True(
                Math.Abs(t1.Log[i].Loss - t3.Log[i].Loss) <= 1e-4 * Math.Max(1, Math.Abs(t1.Log[i].Loss)),
                $"step {i + 1}: {t1.Log[i].Loss} vs {t3.Log[i].Loss}"
            );
        var ids = tensor(train[5].InputIds.Select(x => (long)x).ToArray(), [1, train[5].Length]);
        using var _ = no_grad();
        Assert.True((m1.Forward(ids) - m3.Forward(ids)).abs().max().item<float>() < 1e-3);
    }

    [Fact]
    public void ExampleWeightsScaleTheLoss()
    {
        var (train, _) = Data();
        var zeroed = train
            .Select(e =>
            {
                var attrs = (System.Text.Json.Nodes.JsonObject)e.Attributes.DeepClone();
                attrs["weight"] = 0.0;
                return e with { Attributes = attrs };
            })
            .ToList();
        string dir = Fixtures.TempDir();
        using var m = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        var before = m.Parameters["model.layers.0.mlp.up_proj.weight"].clone();
        new SftTrainer(m, Opts with { Epochs = 1, WeightDecay = 0 }, dir, Fixtures.Model("tiny-qwen2")).Train(zeroed);
        // Zero weights: zero gradients, and AdamW without decay leaves the weights as they were.
        Assert.Equal(0f, (m.Parameters["model.layers.0.mlp.up_proj.weight"] - before).abs().max().item<float>());
    }

    [Fact]
    public void ScheduleWarmsUpThenDecays()
    {
        var o = new SftOptions
        {
            LearningRate = 1.0,
            WarmupSteps = 4,
            MinLearningRateRatio = 0.1,
        };
        Assert.Equal(0.25, LearningRateSchedule.At(0, 20, o), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(3, 20, o), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(4, 20, o), 12);
        Assert.Equal(0.1, LearningRateSchedule.At(19, 20, o), 12);
        Assert.True(LearningRateSchedule.At(10, 20, o) < LearningRateSchedule.At(6, 20, o));
    }
}
