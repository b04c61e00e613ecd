using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Validation;

/// <summary>
/// What one retrained model measured on the queries: each query's mean log-likelihood of its labelled tokens (the
/// Infra paper's f) and its summed loss (kronfluence's default), in the convention of the score run's measurements.
/// Cached as one JSON file per retraining, so that any strategy can be compared with it later.
/// </summary>
internal sealed record LdsMeasurement(
    int Subset,
    int SeedIndex,
    IReadOnlyList<string> QueryIds,
    double[] MeanLogProb,
    double[] Loss
)
{
    public static LdsMeasurement Measure(
        CausalLM model,
        IReadOnlyList<EncodedExample> queries,
        int subset,
        int seedIndex,
        int padId,
        int batchSize = 16
    )
    {
        var meanLogProb = new double[queries.Count];
        var loss = new double[queries.Count];
        using var _ = no_grad();
        for (int i = 0; i < queries.Count; i += batchSize)
        {
            using var scope = NewDisposeScope();
            var chunk = queries.Skip(i).Take(batchSize).ToList();
            var b = Batching.Pad(chunk, padId);
            var summed = LanguageModelLoss
                .SummedPerExample(model.Forward(b.InputIds, b.AttentionMask), b.Labels)
                .to(ScalarType.Float64)
                .cpu()
                .data<double>()
                .ToArray();
            for (int j = 0; j < chunk.Count; j++)
            {
                int labelled = Math.Max(1, chunk[j].Labels.Skip(1).Count(l => l != EncodedExample.IgnoreIndex));
                loss[i + j] = summed[j];
                meanLogProb[i + j] = -summed[j] / labelled;
            }
        }
        return new LdsMeasurement(subset, seedIndex, queries.Select(q => q.Id).ToList(), meanLogProb, loss);
    }

    /// <summary>
    /// The measured values, oriented so that larger is better (minus the loss), as the scores' sign is.
    /// </summary>
    public double[] Benefit(Influence.Measurement m) =>
        m == Influence.Measurement.Loss ? Loss.Select(v => -v).ToArray() : MeanLogProb;

    public static string FileName(int subset, int seedIndex) => $"subset-{subset:D4}-seed-{seedIndex:D2}.json";

    public void Write(string dir) =>
        AtomicFile.WriteAllText(
            Path.Combine(dir, FileName(Subset, SeedIndex)),
            new JsonObject
            {
                ["subset"] = Subset,
                ["seed_index"] = SeedIndex,
                ["query_ids"] = new JsonArray(QueryIds.Select(q => (JsonNode)q).ToArray()),
                ["mean_logprob"] = new JsonArray(MeanLogProb.Select(v => (JsonNode)v).ToArray()),
                ["loss"] = new JsonArray(Loss.Select(v => (JsonNode)v).ToArray()),
            }.ToJsonString(JsonlFile.Options) + "\n"
        );

    public static LdsMeasurement Read(string path)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            double[] D(string k) => o[k]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            return new LdsMeasurement(
                o["subset"]!.GetValue<int>(),
                o["seed_index"]!.GetValue<int>(),
                o["query_ids"]!.AsArray().Select(v => v!.GetValue<string>()).ToList(),
                D("mean_logprob"),
                D("loss")
            );
        }
        catch (Exception e)
            when (e is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException)
        {
            throw InputError.Data($"{path}: not an LDS measurement file ({e.Message})");
        }
    }
}
