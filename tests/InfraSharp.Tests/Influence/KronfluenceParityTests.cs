using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>Scores against kronfluence's on the fixture models (damping 1e-8, as the fixtures used).</summary>
public class KronfluenceParityTests
{
    public static (CausalLM Model, List<EncodedExample> Train, List<EncodedExample> Queries) Load(string name)
    {
        var tok = Tokenizer.Load(Fixtures.Model(name));
        var enc = new ExampleEncoder(tok);
        return (ModelLoader.Load(Fixtures.Model(name)), enc.EncodeFile(Fixtures.Path_(name, "train.jsonl")), enc.EncodeFile(Fixtures.Path_(name, "queries.jsonl")));
    }

    public static (double Pearson, double RelL2) Compare(Tensor ours, Tensor reference)
    {
        var a = ours.to(ScalarType.Float64).flatten(); var b = reference.to(ScalarType.Float64).flatten();
        var ac = a - a.mean(); var bc = b - b.mean();
        double r = ((ac * bc).sum() / (ac.norm() * bc.norm())).item<double>();
        double rel = ((a - b).norm() / b.norm()).item<double>();
        return (r, rel);
    }

    public static Dictionary<string, ModuleFactors> Fit(CausalLM model, List<EncodedExample> train, TrackedModules modules, InfluenceStrategy strategy, FisherMode fisher = FisherMode.Empirical)
    {
        string dir = Fixtures.TempDir();
        var args = new FactorArguments { Strategy = strategy.Name, Fisher = fisher, Modules = modules.Selector, Seed = 0 };
        var r = new FactorFitter(model, modules, strategy, args).Fit(train, dir, Partition.Whole, new JsonObject());
        Assert.True(r.Complete);
        return FactorFitter.Load(dir, modules.Names, strategy);
    }

    [Theory]
    [InlineData("tiny-qwen2", "identity", "all")]
    [InlineData("tiny-qwen2", "diagonal", "all")]
    [InlineData("tiny-qwen2", "kfac", "all")]
    [InlineData("tiny-qwen2", "ekfac", "all")]
    [InlineData("tiny-qwen2", "ekfac", "mlp")]
    [InlineData("tiny-llama", "identity", "all")]
    [InlineData("tiny-llama", "diagonal", "all")]
    [InlineData("tiny-llama", "kfac", "all")]
    [InlineData("tiny-llama", "ekfac", "all")]
    [InlineData("tiny-llama", "ekfac", "mlp")]
    public void PairwiseScoresMatchKronfluence(string name, string strategyName, string selector)
    {
        var (model, train, queries) = Load(name);
        using var _ = model;
        var strategy = InfluenceStrategy.Get(strategyName);
        var modules = TrackedModules.Resolve(model.Config, selector);
        var factors = Fit(model, train, modules, strategy);
        var scorer = new InfluenceScorer(model, modules, strategy, factors, new ScoreArguments { Damping = 1e-8 });
        using var pq = scorer.PrepareQueries(queries);
        var (pw, _) = scorer.ScoreTraining(pq, train, 0, train.Count, train.Max(e => e.Length));
        string key = $"pairwise.{strategyName}_empirical{(selector == "mlp" ? "_mlp" : "")}";
        var reference = SafeTensorsFile.Open(Fixtures.Path_(name, "kronfluence_scores.safetensors")).Read(key);
        var (r, rel) = Compare(pw, reference);
        Assert.True(r >= 0.9999 && rel <= 1e-3, $"{key}: pearson {r}, relative L2 {rel}");
    }
}
