using System.Diagnostics;
using InfraSharp.Models;
using static TorchSharp.torch;

namespace InfraSharp.Bench;

/// <summary>
/// Forward and forward+backward of one decoder layer of Qwen2.5-0.5B's shape (hidden 896, 14 heads, 2 KV
/// heads, MLP 4864) at 512 tokens, as achieved FLOP/s over the f32 matmul rate of the same run.
/// </summary>
public static class LayerBenchmark
{
    public static void Run(int tokens = 512, int reps = 5)
    {
        var cfg = new ModelConfig
        {
            ModelType = "qwen2",
            VocabSize = 256,
            HiddenSize = 896,
            IntermediateSize = 4864,
            NumLayers = 1,
            NumHeads = 14,
            NumKvHeads = 2,
            HeadDim = 64,
            RmsNormEps = 1e-6,
            RopeTheta = 1e6,
            TieWordEmbeddings = true,
            AttentionBias = true,
        };
        using var model = CausalLM.Initialize(cfg, seed: 0);
        var ids = randint(0, 256, [1, tokens], dtype: ScalarType.Int64);
        // FLOPs: 2 per multiply-add of every Linear, the two attention matmuls (full T x T, as the explicit path
        // computes them; the fused causal kernel this forward takes skips about half) and the small lm_head;
        // backward is counted as twice the forward.
        double linear = 0;
        foreach (var (name, shape) in cfg.ParameterShapes())
            if (shape.Length == 2 && !name.Contains("embed"))
                linear += shape[0] * shape[1];
        double fwd =
            2.0 * tokens * linear
            + 2.0 * 2 * tokens * tokens * cfg.NumHeads * cfg.HeadDim
            + 2.0 * tokens * cfg.HiddenSize * cfg.VocabSize;
        double rate0 = MatmulRate.GflopsF32();

        double TimeIt(bool backward)
        {
            model.RequiresGrad(backward);
            double best = double.MaxValue;
            for (int r = 0; r < reps + 1; r++)
            {
                using var scope = NewDisposeScope();
                var sw = Stopwatch.StartNew();
                if (backward)
                {
                    var loss = model.Forward(ids).sum();
                    loss.backward();
                }
                else
                {
                    using var _ = no_grad();
                    model.Forward(ids);
                }
                double s = sw.Elapsed.TotalSeconds;
                if (r > 0)
                    best = Math.Min(best, s); // first run warms up
                foreach (var p in model.Parameters.Values)
                    p.grad?.zero_();
            }
            return best;
        }
        double tf = TimeIt(false),
            tb = TimeIt(true);
        double rate1 = MatmulRate.GflopsF32();
        double rate = (rate0 + rate1) / 2;
        Console.WriteLine(
            $"threads={get_num_threads()}  f32 matmul 1024^2: {rate:F1} GFLOP/s (before {rate0:F1}, after {rate1:F1})"
        );
        Console.WriteLine("| pass | time (ms) | tokens/s | GFLOP/s | % of matmul rate |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(
            $"| forward | {tf * 1e3:F1} | {tokens / tf:F0} | {fwd / tf / 1e9:F1} | {100 * fwd / tf / 1e9 / rate:F0}% |"
        );
        Console.WriteLine(
            $"| forward+backward | {tb * 1e3:F1} | {tokens / tb:F0} | {3 * fwd / tb / 1e9:F1} | "
                + $"{100 * 3 * fwd / tb / 1e9 / rate:F0}% |"
        );
    }
}
