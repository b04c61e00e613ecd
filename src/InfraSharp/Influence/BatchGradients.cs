using InfraSharp.Models;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// One batch through the model with capture: per tracked module, the layer inputs a [B,T,in(+1)] (a constant 1
/// appended for a layer with bias: homogeneous coordinates) and output gradients g [B,T,out] of each
/// example's own loss, plus the mask of real tokens. Per-example weight gradients are never formed here.
/// </summary>
internal sealed class BatchGradients
{
    public required Dictionary<string, Tensor> A { get; init; }
    public required Dictionary<string, Tensor> G { get; init; }

    /// <summary>[B,T] in the statistics dtype: 1 on real tokens.</summary>
    public required Tensor Mask { get; init; }
    public required int[] Lengths { get; init; }

    /// <summary>
    /// <paramref name="measurement"/> sets what is differentiated per example (the summed loss, or the mean
    /// log-probability of the labelled tokens). The captured a and g are cast to <paramref name="statistics"/>
    /// (float32 by default, whatever the model computes in) before any statistic is formed from them.
    /// </summary>
    public static BatchGradients Compute(
        CausalLM model,
        IReadOnlyList<EncodedExample> examples,
        IReadOnlyList<string> modules,
        FisherMode fisher = FisherMode.Empirical,
        long[]? sampleSeeds = null,
        Measurement measurement = Measurement.Loss,
        int padId = 0,
        ComputeDType statistics = ComputeDType.Float32
    )
    {
        var device = model.Device;
        var statType = statistics.ToScalarType();
        int maxLen = model.Config.MaxPositionEmbeddings;
        foreach (var e in examples)
            if (e.Length > maxLen)
                throw InputError.Argument(
                    $"{e.SourceFile}:{e.Line}: example '{e.Id}' has {e.Length} tokens, over the context length {maxLen}"
                );
        var batch = Batching.Pad(examples, padId);
        var capture = new LayerCapture(modules.ToHashSet());
        var logits = model.Forward(batch.InputIds, batch.AttentionMask, observer: capture);
        var labels = batch.Labels.to(device);
        if (fisher == FisherMode.Sampled)
        {
            // Labels drawn from the model's own predictive distribution at the labelled positions (next token),
            // one generator per example (seeded by its global index), so that partitions draw what one run draws.
            if (sampleSeeds is null || sampleSeeds.Length != examples.Count)
                throw InputError.Argument("sampled Fisher needs one seed per example");
            using (no_grad())
            {
                long b = logits.shape[0],
                    t = logits.shape[1];
                var probs = logits.detach().narrow(1, 0, t - 1).softmax(-1);
                var drawn = stack(
                    Enumerable
                        .Range(0, (int)b)
                        .Select(i =>
                            multinomial(probs[i], 1, generator: ComputeDevice.Generator(sampleSeeds[i], device))
                                .squeeze(-1)
                        )
                        .ToArray()
                );
                var shifted = labels.narrow(1, 1, t - 1);
                var replaced = where(shifted.ne(EncodedExample.IgnoreIndex), drawn, shifted);
                labels = cat([labels.narrow(1, 0, 1), replaced], 1);
            }
        }
        var perExample = LanguageModelLoss.SummedPerExample(logits, labels);
        if (measurement == Measurement.MeanLogProb)
        {
            var counts = tensor(
                examples
                    .Select(e => (float)Math.Max(1, e.Labels.Skip(1).Count(l => l != EncodedExample.IgnoreIndex)))
                    .ToArray(),
                device: device
            );
            perExample = perExample / counts;
        }
        var outputs = modules
            .Select(m =>
                capture.Outputs.TryGetValue(m, out var o)
                    ? o
                    : throw new InvalidOperationException($"module '{m}' was not seen in the forward pass")
            )
            .ToList();
        var grads = autograd.grad([perExample.sum()], outputs, retain_graph: false);
        var mask = batch.AttentionMask.to(statType, device);
        var a = new Dictionary<string, Tensor>();
        var g = new Dictionary<string, Tensor>();
        for (int i = 0; i < modules.Count; i++)
        {
            string m = modules[i];
            var input = capture.Inputs[m].to(statType);
            if (model.Parameters.ContainsKey(m + ".bias"))
                input = cat([input, ones(input.shape[0], input.shape[1], 1, dtype: statType, device: device)], -1);
            // Padding positions: inputs zeroed so that sums over tokens skip them; their gradients are zero already.
            a[m] = input * mask.unsqueeze(-1);
            g[m] = grads[i].detach().to(statType) * mask.unsqueeze(-1);
        }
        return new BatchGradients
        {
            A = a,
            G = g,
            Mask = mask,
            Lengths = examples.Select(e => e.Length).ToArray(),
        };
    }

    /// <summary>Per-example weight gradients G_e = Σ_t g_t a_tᵀ of one module: [B, out, in(+1)].</summary>
    public Tensor PerExample(string module) => einsum("bto,bti->boi", G[module], A[module]);
}
