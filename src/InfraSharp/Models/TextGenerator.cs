using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace InfraSharp.Models;

/// <summary>
/// Autoregressive decoding for a batch of prompts. Prompts are left-padded so that every row's next token sits
/// in the last column; positions come from the attention mask, so a padded row computes exactly what it
/// would alone.
/// </summary>
public static class TextGenerator
{
    /// <summary>New token ids per prompt, including the stop token when generation ended on one.</summary>
    public static List<int[]> Generate(CausalLM model, IReadOnlyList<int[]> prompts, GenerationOptions options)
    {
        if (prompts.Count == 0)
            return [];
        if (prompts.Any(p => p.Length == 0))
            throw InputError.Argument("cannot generate from an empty prompt");
        if (!options.Greedy && (options.Temperature <= 0 || options.TopP <= 0 || options.TopP > 1))
            throw InputError.Argument("sampling needs temperature > 0 and 0 < top-p <= 1");
        int b = prompts.Count,
            longest = prompts.Max(p => p.Length);
        if (longest + options.MaxNewTokens > model.Config.MaxPositionEmbeddings)
            throw InputError.Argument(
                $"prompt of {longest} tokens plus {options.MaxNewTokens} new tokens exceeds the context length "
                    + $"{model.Config.MaxPositionEmbeddings}"
            );
        var rows = prompts
            .Select(p => Enumerable.Repeat(options.PadTokenId, longest - p.Length).Concat(p).ToList())
            .ToList();
        var maskRows = prompts
            .Select(p => Enumerable.Repeat(0L, longest - p.Length).Concat(Enumerable.Repeat(1L, p.Length)).ToList())
            .ToList();
        var output = Enumerable.Range(0, b).Select(_ => new List<int>()).ToList();
        var done = new bool[b];
        var gen = options.Greedy ? null : new Generator((ulong)options.Seed);
        using var cache = options.UseCache ? new KvCache(model.Config.NumLayers) : null;
        using var _ = no_grad();
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            var mask = tensor(maskRows.SelectMany(r => r).ToArray(), [b, maskRows[0].Count]);
            Tensor input;
            if (cache is null || step == 0)
                input = tensor(rows.SelectMany(r => r.Select(x => (long)x)).ToArray(), [b, rows[0].Count]);
            else
                input = tensor(rows.Select(r => (long)r[^1]).ToArray(), [b, 1]);
            // The last position's logits [B, V] leave the device every step anyway (the host decides when a row
            // stops), so sampling runs on the host with one seeded generator: the same draws on any device.
            var logits = model.Forward(input, mask, cache).select(1, -1).cpu();
            var next = options.Greedy ? logits.argmax(-1) : Sample(logits, options, gen!);
            var nextIds = next.data<long>().ToArray();
            for (int i = 0; i < b; i++)
            {
                int tok = done[i] ? options.PadTokenId : (int)nextIds[i];
                if (!done[i])
                {
                    output[i].Add(tok);
                    if (options.StopTokenIds.Contains(tok))
                        done[i] = true;
                }
                rows[i].Add(tok);
                maskRows[i].Add(1);
            }
            if (done.All(d => d))
                break;
        }
        return output.Select(o => o.ToArray()).ToList();
    }

    /// <summary>
    /// Many prompts in batches of <paramref name="batchSize"/>, with progress. Batch i samples from seed + i
    /// (its first row's index), so results don't depend on how many batches came before.
    /// </summary>
    public static List<int[]> GenerateBatched(
        CausalLM model,
        IReadOnlyList<int[]> prompts,
        GenerationOptions options,
        int batchSize,
        string what = "generate",
        IProgress<RunProgress>? sink = null,
        CancellationToken cancel = default
    )
    {
        var results = new List<int[]>(prompts.Count);
        var progress = new ProgressMeter(sink, what, prompts.Count, "prompts");
        for (int i = 0; i < prompts.Count; i += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var chunk = prompts.Skip(i).Take(batchSize).ToList();
            results.AddRange(Generate(model, chunk, options with { Seed = options.Seed + i }));
            progress.Report(results.Count);
        }
        return results;
    }

    private static Tensor Sample(Tensor logits, GenerationOptions o, Generator gen)
    {
        var probs = (logits / o.Temperature).softmax(-1);
        if (o.TopP < 1.0)
        {
            // Keep the smallest set of most likely tokens whose mass reaches top-p (at least one).
            var (sorted, order) = probs.sort(-1, descending: true);
            var before = sorted.cumsum(-1) - sorted;
            sorted = sorted.masked_fill(before.ge(o.TopP), 0);
            probs = zeros_like(probs).scatter(-1, order, sorted);
            probs = probs / probs.sum(-1, keepdim: true);
        }
        return multinomial(probs, 1, generator: gen).squeeze(-1);
    }

    /// <summary>Stop tokens: generation_config.json's eos_token_id (int or list), the config's, and the
    /// tokenizer's.</summary>
    public static HashSet<int> StopTokens(string modelDir, ModelConfig config, int? tokenizerEos)
    {
        var set = new HashSet<int>(config.EosTokenIds);
        string path = Path.Combine(modelDir, "generation_config.json");
        if (File.Exists(path))
        {
            var o = Storage.JsonFile.ReadObject(path);
            switch (o["eos_token_id"])
            {
                case JsonArray a:
                    foreach (var x in a)
                        set.Add(x!.GetValue<int>());
                    break;
                case JsonValue v:
                    set.Add(v.GetValue<int>());
                    break;
            }
        }
        if (tokenizerEos is int e)
            set.Add(e);
        return set;
    }
}
