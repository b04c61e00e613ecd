using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using Xunit.Abstractions;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// The cost of each dtype knob, measured against kronfluence's float32 EK-FAC scores on the fixtures through the
/// library runs (factors, then pairwise scores with damping 1e-8 as the fixtures used): float32 unchanged, a
/// bfloat16 model, and bfloat16 statistics. The Pearson r of each is printed for the README's dtype table.
/// </summary>
public class DTypeParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("tiny-qwen2", ComputeDType.Float32, ComputeDType.Float32, 0.9999)]
    [InlineData("tiny-qwen2", ComputeDType.BFloat16, ComputeDType.Float32, 0.99)]
    [InlineData("tiny-qwen2", ComputeDType.Float32, ComputeDType.BFloat16, 0.99)]
    [InlineData("tiny-llama", ComputeDType.Float32, ComputeDType.Float32, 0.9999)]
    [InlineData("tiny-llama", ComputeDType.BFloat16, ComputeDType.Float32, 0.99)]
    [InlineData("tiny-llama", ComputeDType.Float32, ComputeDType.BFloat16, 0.99)]
    public void ScoresAgreeWithKronfluenceFloat32(
        string name,
        ComputeDType model,
        ComputeDType statistics,
        double minPearson
    )
    {
        string root = Fixtures.TempDir(),
            factors = Path.Combine(root, "factors"),
            scores = Path.Combine(root, "scores");
        string train = Fixtures.Path_(name, "train.jsonl");
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = Fixtures.Model(name),
                Data = train,
                DType = model,
                Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, StatisticsDType = statistics },
            },
            factors
        );
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Fixtures.Model(name),
                Factors = factors,
                Train = train,
                Queries = Fixtures.Path_(name, "queries.jsonl"),
                DType = model,
                Score = new ScoreArguments { Damping = 1e-8, StatisticsDType = statistics },
            },
            scores
        );
        var ours = SafeTensorsFile.Open(Path.Combine(scores, "pairwise.safetensors")).Read("scores");
        var reference = SafeTensorsFile
            .Open(Fixtures.Path_(name, "kronfluence_scores.safetensors"))
            .Read("pairwise.ekfac_empirical");
        var (r, rel) = KronfluenceParityTests.Compare(ours, reference);
        output.WriteLine($"{name} model {model} statistics {statistics}: pearson {r:F6}, relative L2 {rel:E2}");
        Assert.True(r >= minPearson, $"{name} model {model} statistics {statistics}: pearson {r}, relative L2 {rel}");
        if (model == ComputeDType.Float32 && statistics == ComputeDType.Float32)
            Assert.True(rel <= 1e-3, $"relative L2 {rel}");
    }
}
