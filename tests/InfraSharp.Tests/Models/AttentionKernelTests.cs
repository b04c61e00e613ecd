using InfraSharp.Models;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Models;

/// <summary>
/// The fused (SDPA) attention that training and influence take against the explicit path that transformers'
/// eager attention computes: same logits on real tokens and same parameter gradients, in float32.
/// </summary>
// Run alone: twice today, run beside the rest of the fast tier, its float64 case failed inside libtorch (a Scalar
// of an unexpected kind in add), and it passes on its own; until that is understood it does not share the process's
// threads with other tests.
[CollectionDefinition(nameof(AttentionKernelTests), DisableParallelization = true)]
[Collection(nameof(AttentionKernelTests))]
public class AttentionKernelTests
{
    // Lengths over 512 and over 192 make the CPU flash kernel work in several query and key blocks (its online
    // softmax rescales across key blocks), not one block that a short sequence would fit in.
    private static readonly int[] Lengths = [600, 37, 301];

    private static (Tensor Ids, Tensor Mask, Tensor Labels) RightPadded(int vocab, int seed)
    {
        var rng = new Random(seed);
        int b = Lengths.Length,
            t = Lengths.Max();
        var ids = new long[b * t];
        var mask = new long[b * t];
        var labels = new long[b * t];
        for (int i = 0; i < b; i++)
        for (int j = 0; j < t; j++)
        {
            bool real = j < Lengths[i];
            long id = real ? rng.Next(3, vocab) : 0;
            ids[i * t + j] = id;
            mask[i * t + j] = real ? 1 : 0;
            labels[i * t + j] = real && j >= 2 ? id : -100;
        }
        return (tensor(ids, [b, t]), tensor(mask, [b, t]), tensor(labels, [b, t]));
    }

    private static (Tensor Logits, Tensor[] Grads) LossAndGradients(
        CausalLM model,
        AttentionKernel kernel,
        Tensor ids,
        Tensor mask,
        Tensor labels
    )
    {
        model.AttentionKernel = kernel;
        model.RequiresGrad(true);
        var ps = model.Parameters.Values.Cast<Tensor>().ToArray();
        var logits = model.Forward(ids, mask);
        var grads = autograd.grad([LanguageModelLoss.SummedPerExample(logits, labels).sum()], ps);
        model.RequiresGrad(false);
        return (logits.detach(), grads.ToArray());
    }

    [Theory]
    [InlineData("tiny-qwen2", 1.0, false, 1e-5)]
    [InlineData("tiny-llama", 1.0, false, 1e-5)]
    [InlineData("tiny-qwen2", 8.0, true, 1e-10)]
    [InlineData("tiny-llama", 8.0, true, 1e-10)]
    public void FusedAttentionMatchesExplicitOnARightPaddedBatch(string name, double qkScale, bool float64, double tol)
    {
        using var model = ModelLoader.Load(Fixtures.Model(name));
        using var scope = NewDisposeScope();
        // Query and key weights scaled up: peaked attention, where a wrong running maximum or block boundary in the
        // fused kernel would show. There float32 rounding alone separates the two paths by ~1.5e-5 relative (each
        // path as far from a float64 reference as the other), so that case is compared in float64 (measured: 3e-15).
        // At the fixture's own scale float32 differs by at most 1e-6 relative (measured), a tenth of the tolerance.
        using (no_grad())
            foreach (var (n, p) in model.Parameters)
                if (n.Contains("q_proj") || n.Contains("k_proj"))
                    p.mul_(Math.Sqrt(qkScale));
        if (float64)
            model.To(ScalarType.Float64);
        var (ids, mask, labels) = RightPadded(model.Config.VocabSize, seed: 17);
        var (fused, fusedGrads) = LossAndGradients(model, AttentionKernel.Auto, ids, mask, labels);
        var (expl, explGrads) = LossAndGradients(model, AttentionKernel.Explicit, ids, mask, labels);

        var real = mask.to(ScalarType.Bool).unsqueeze(-1).expand_as(fused);
        var realDiff = (fused - expl).abs().masked_fill(real.logical_not(), 0).max().item<float>();
        float scale = expl.abs().max().item<float>();
        // Logits come back in float32 whatever the model's dtype: no tighter than its rounding.
        Assert.True(
            realDiff <= Math.Max(tol, 1e-7) * scale,
            $"logits on real tokens differ by {realDiff} (max |logit| {scale})"
        );
        // Padding queries see padding keys on the fused path only: their (unlabelled) logits differ, which shows
        // that Auto did not quietly take the explicit path.
        var padDiff = (fused - expl).abs().masked_fill(real, 0).max().item<float>();
        Assert.True(padDiff > 1e-3f, $"padding logits differ by only {padDiff}: was the fused kernel used?");

        var names = model.Parameters.Keys.ToArray();
        for (int i = 0; i < names.Length; i++)
        {
            double d = (fusedGrads[i] - explGrads[i]).abs().max().to(ScalarType.Float64).item<double>();
            double g = explGrads[i].abs().max().to(ScalarType.Float64).item<double>();
            Assert.True(g > 0, $"{names[i]}: zero gradient");
            Assert.True(d <= tol * g, $"{names[i]}: gradients differ by {d} (max |gradient| {g})");
        }
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void BatchedFusedLogitsMatchEachExampleAlone(string name)
    {
        using var model = ModelLoader.Load(Fixtures.Model(name));
        using var scope = NewDisposeScope();
        var (ids, mask, _) = RightPadded(model.Config.VocabSize, seed: 5);
        using var _ = no_grad();
        var batched = model.Forward(ids, mask);
        for (int i = 0; i < Lengths.Length; i++)
        {
            var alone = model.Forward(ids.narrow(0, i, 1).narrow(1, 0, Lengths[i])); // no mask: fused as well
            model.AttentionKernel = AttentionKernel.Explicit;
            var reference = model.Forward(ids.narrow(0, i, 1).narrow(1, 0, Lengths[i]));
            model.AttentionKernel = AttentionKernel.Auto;
            var rows = batched.narrow(0, i, 1).narrow(1, 0, Lengths[i]);
            float scale = reference.abs().max().item<float>();
            Assert.True((rows - reference).abs().max().item<float>() <= 1e-5f * scale);
            Assert.True((alone - reference).abs().max().item<float>() <= 1e-5f * scale);
        }
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void LeftPaddingTakesTheExplicitPath(string name)
    {
        // With left padding a real query has padding keys before it: only an explicit mask is exact, so Auto must
        // compute exactly what Explicit does (bit for bit).
        using var model = ModelLoader.Load(Fixtures.Model(name));
        using var scope = NewDisposeScope();
        var (ids, mask, _) = RightPadded(model.Config.VocabSize, seed: 9);
        var leftIds = ids.flip(1);
        var leftMask = mask.flip(1);
        using var _ = no_grad();
        var auto = model.Forward(leftIds, leftMask);
        model.AttentionKernel = AttentionKernel.Explicit;
        var expl = model.Forward(leftIds, leftMask);
        Assert.Equal(0f, (auto - expl).abs().max().item<float>());
    }
}
