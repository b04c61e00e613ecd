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
        return (
            ModelLoader.Load(Fixtures.Model(name)),
            enc.EncodeFile(Fixtures.Path_(name, "train.jsonl")),
            enc.EncodeFile(Fixtures.Path_(name, "queries.jsonl"))
        );
    }

    public static (double Pearson, double RelL2) Compare(Tensor ours, Tensor reference)
    {
        var a = ours.to(ScalarType.Float64).flatten();
        var b = reference.to(ScalarType.Float64).flatten();
        var ac = a - a.mean();
        var bc = b - b.mean();
        double r = ((ac * bc).sum() / (ac.norm() * bc.norm())).item<double>();
        double rel = ((a - b).norm() / b.norm()).item<double>();
        return (r, rel);
    }

    internal static Dictionary<string, ModuleFactors> Fit(
        CausalLM model,
        List<EncodedExample> train,
        TrackedModules modules,
        InfluenceStrategy strategy,
        FisherMode fisher = FisherMode.Empirical
    )
    {
        string dir = Fixtures.TempDir();
        var args = new FactorArguments
        {
            Strategy = strategy.Kind,
            Fisher = fisher,
            Modules = modules.Selector,
            Seed = 0,
        };
        var r = new FactorFitter(model, modules, strategy, args).Fit(train, dir, Partition.Whole);
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
        var modules = TrackedModules.Resolve(model.Config, ModuleSelection.Parse(selector));
        var factors = Fit(model, train, modules, strategy);
        var scorer = new InfluenceScorer(model, modules, strategy, factors, new ScoreArguments { Damping = 1e-8 });
        using var pq = scorer.PrepareQueries(queries);
        var (pw, _) = scorer.ScoreTraining(pq, train, 0, train.Count, train.Max(e => e.Length));
        string key = $"pairwise.{strategyName}_empirical{(selector == "mlp" ? "_mlp" : "")}";
        var reference = SafeTensorsFile.Open(Fixtures.Path_(name, "kronfluence_scores.safetensors")).Read(key);
        var (r, rel) = Compare(pw, reference);
        Assert.True(r >= 0.9999 && rel <= 1e-3, $"{key}: pearson {r}, relative L2 {rel}");
    }

    [Theory]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void SelfPerTokenAndSampledFisherMatchKronfluence(string name)
    {
        var (model, train, queries) = Load(name);
        using var _ = model;
        var refs = SafeTensorsFile.Open(Fixtures.Path_(name, "kronfluence_scores.safetensors"));
        var ekfac = InfluenceStrategy.Get("ekfac");
        var modules = TrackedModules.Resolve(model.Config, ModuleSelection.All);
        var factors = Fit(model, train, modules, ekfac);
        var scorer = new InfluenceScorer(
            model,
            modules,
            ekfac,
            factors,
            new ScoreArguments { Damping = 1e-8, PerToken = true }
        );

        var self = scorer.SelfScores(train, 0, train.Count);
        var (r, rel) = Compare(self, refs.Read("self.ekfac_empirical"));
        Assert.True(r >= 0.9999 && rel <= 1e-3, $"self: pearson {r}, relative L2 {rel}");

        var perTokenRef = refs.Read("per_token.ekfac_empirical");
        int width = (int)perTokenRef.shape[2];
        using var pq = scorer.PrepareQueries(queries);
        var (pw, pt) = scorer.ScoreTraining(pq, train, 0, train.Count, width);
        Assert.Equal(perTokenRef.shape, pt!.shape);
        (r, rel) = Compare(pt, perTokenRef);
        Assert.True(r >= 0.9999 && rel <= 1e-3, $"per-token: pearson {r}, relative L2 {rel}");
        // Per-token scores sum to the pairwise scores.
        var (r2, rel2) = Compare(pt.sum(dim: 2), pw);
        Assert.True(r2 >= 0.99999 && rel2 <= 1e-4, $"per-token sums vs pairwise: pearson {r2}, relative L2 {rel2}");
        // Padding positions carry nothing.
        for (int e = 0; e < train.Count; e += 17)
            Assert.Equal(0f, pt[.., e, train[e].Length..].abs().sum().item<float>());

        var sampled = Fit(model, train, modules, ekfac, FisherMode.Sampled);
        var sScorer = new InfluenceScorer(model, modules, ekfac, sampled, new ScoreArguments { Damping = 1e-8 });
        using var spq = sScorer.PrepareQueries(queries);
        var (spw, _) = sScorer.ScoreTraining(spq, train, 0, train.Count, width);
        (r, rel) = Compare(spw, refs.Read("pairwise.ekfac_sampled"));
        Assert.True(r >= 0.85, $"sampled Fisher: pearson {r}");
    }

    [Fact]
    public void LowRankQueriesApproachFullRank()
    {
        var (model, train, queries) = Load("tiny-llama");
        using var _ = model;
        var ekfac = InfluenceStrategy.Get("ekfac");
        var modules = TrackedModules.Resolve(model.Config, ModuleSelection.Mlp);
        var factors = Fit(model, train, modules, ekfac);
        Tensor Scores(int rank)
        {
            var s = new InfluenceScorer(
                model,
                modules,
                ekfac,
                factors,
                new ScoreArguments
                {
                    Damping = 1e-8,
                    QueryRank = rank,
                    Seed = 1,
                }
            );
            using var pq = s.PrepareQueries(queries);
            return s.ScoreTraining(pq, train, 0, train.Count, 256).Pairwise;
        }
        var full = Scores(0);
        // Rank 64 is the full rank of these 64-wide layers: exact up to rounding; rank 8 approximates.
        var (r64, rel64) = Compare(Scores(64), full);
        Assert.True(r64 > 0.99999 && rel64 < 1e-3, $"rank 64: {r64} {rel64}");
        var (r8, _) = Compare(Scores(8), full);
        Assert.True(r8 > 0.9, $"rank 8: {r8}");
    }
}
