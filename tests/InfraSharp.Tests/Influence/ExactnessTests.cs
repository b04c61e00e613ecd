using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Influence;

/// <summary>
/// Checks that need no kronfluence: on models small enough to build the Fisher of the tracked layers
/// explicitly in float64 from per-example gradients computed by plain autograd.
/// </summary>
public class ExactnessTests
{
    private static CausalLM Tiny(int seed)
    {
        var tok = Tokenizer.Load(Fixtures.Model("tiny-qwen2"));
        var cfg = ModelShape.Parse("layers=1,hidden=8,heads=2,kv_heads=1,mlp=12", tok.Bpe.VocabSize, [2], 0);
        var m = CausalLM.Initialize(cfg, seed);
        // Larger weights than the 0.02 init, so that gradients are far from zero in every layer.
        using (no_grad())
            foreach (var p in m.Parameters.Values)
                if (p.dim() == 2)
                    p.mul_(10);
        return m;
    }

    private static EncodedExample Ex(string id, int[] ids, int[] labels) =>
        new(id, ids, labels, new JsonObject(), "test", 1);

    /// <summary>Per-example gradient of one module's weight (bias appended as the last column), by autograd.</summary>
    private static Dictionary<string, Tensor> AutogradGradients(
        CausalLM model,
        EncodedExample e,
        IEnumerable<string> modules
    )
    {
        model.RequiresGrad(true);
        foreach (var p in model.Parameters.Values)
            p.grad?.zero_();
        var ids = tensor(e.InputIds.Select(x => (long)x).ToArray(), [1, e.Length]);
        var labels = tensor(e.Labels.Select(x => (long)x).ToArray(), [1, e.Length]);
        LanguageModelLoss.SummedPerExample(model.Forward(ids), labels).sum().backward();
        var result = new Dictionary<string, Tensor>();
        foreach (var m in modules)
        {
            var g = model.Parameters[m + ".weight"].grad!.clone().to(ScalarType.Float64);
            if (model.Parameters.TryGetValue(m + ".bias", out var b))
                g = cat([g, b.grad!.clone().to(ScalarType.Float64).unsqueeze(1)], 1);
            result[m] = g;
        }
        model.RequiresGrad(false);
        return result;
    }

    private static Dictionary<string, ModuleFactors> Fit(
        CausalLM model,
        List<EncodedExample> data,
        TrackedModules mods,
        string strategy
    )
    {
        string dir = Fixtures.TempDir();
        var s = InfluenceStrategy.Get(strategy);
        new FactorFitter(model, mods, s, new FactorArguments { Strategy = s.Kind }).Fit(data, dir, Partition.Whole);
        return FactorFitter.Load(dir, mods.Names, s);
    }

    [Fact]
    public void EkfacCorrectedEigenvaluesAreTheFisherDiagonalInTheKfacBasis()
    {
        using var model = Tiny(5);
        var rng = new Random(3);
        var data = Enumerable
            .Range(0, 12)
            .Select(i =>
            {
                var ids = Enumerable.Range(0, 6 + i % 4).Select(_ => rng.Next(3, 800)).ToArray();
                var labels = ids.Select((x, j) => j < 2 ? -100 : x).ToArray();
                return Ex($"e{i}", ids, labels);
            })
            .ToList();
        var mods = TrackedModules.Resolve(model.Config, ModuleSelection.All);
        var factors = Fit(model, data, mods, "ekfac");
        var grads = data.Select(e => AutogradGradients(model, e, mods.Names)).ToList();
        foreach (var m in mods.Names)
        {
            var f = factors[m];
            // Explicit Fisher of this module: mean over examples of vec(G_e) vec(G_e)ᵀ (row-major vec).
            var vecs = stack(grads.Select(g => g[m].flatten()).ToArray());
            var fisher = matmul(vecs.transpose(0, 1), vecs) / data.Count;
            var basis = kron(
                f.GradientEigenvectors!.to(ScalarType.Float64),
                f.ActivationEigenvectors!.to(ScalarType.Float64)
            );
            var diag = matmul(matmul(basis.transpose(0, 1), fisher), basis).diagonal().reshape(f.LambdaSum!.shape);
            double err = ((diag - f.Lambda).abs().max() / diag.abs().max()).item<double>();
            Assert.True(err < 1e-4, $"{m}: max relative error {err}");
        }
    }

    [Fact]
    public void KfacEqualsTheExplicitDampedInverseWhereTheFactorisationIsExact()
    {
        // Every input token is the same, so every layer sees the same input at every position of every
        // example (a_t = a), and one position per example carries a label: then the token-normalised K-FAC
        // factors give S ⊗ A = F / 2 exactly (2 tokens per example).
        using var model = Tiny(9);
        // The bound sits at float32 noise amplified by the damped inverse: over model seeds 1-24 the relative error
        // ranges 1e-7..5e-5 with either attention kernel (same spread); this seed gave 9.6e-7 with the explicit
        // kernel while covariance files held float64 sums, 1.8e-6 since they hold float32 means (kronfluence's
        // factor dtype too), hence 5e-6. Pinned to the kernel it was written against.
        model.AttentionKernel = AttentionKernel.Explicit;
        var labels = new[] { 17, 230, 5, 611, 90, 42 };
        var data = labels.Select((y, i) => Ex($"e{i}", [7, 7], [-100, y])).ToList();
        var query = Ex("q", [7, 7], [-100, 300]);
        var mods = TrackedModules.Resolve(model.Config, ModuleSelection.All);
        var factors = Fit(model, data, mods, "kfac");
        const double damping = 1e-3;
        var kfac = InfluenceStrategy.Get("kfac");
        var scorer = new InfluenceScorer(
            model,
            mods,
            kfac,
            factors,
            new ScoreArguments { Damping = damping, Precision = Precision.Float64 }
        );
        using var pq = scorer.PrepareQueries([query]);
        var (ours, _) = scorer.ScoreTraining(pq, data, 0, data.Count, 2);

        var grads = data.Select(e => AutogradGradients(model, e, mods.Names)).ToList();
        var gq = AutogradGradients(model, query, mods.Names);
        var expected = zeros(data.Count, dtype: ScalarType.Float64);
        foreach (var m in mods.Names)
        {
            var vecs = stack(grads.Select(g => g[m].flatten()).ToArray());
            var fisher = matmul(vecs.transpose(0, 1), vecs) / data.Count;
            var kron = fisher / 2;
            var inv = linalg.inv(kron + damping * eye(kron.shape[0], dtype: ScalarType.Float64));
            expected += matmul(vecs, matmul(inv, gq[m].flatten()));
        }
        var o = ours.squeeze(0).to(ScalarType.Float64);
        double err = ((o - expected).abs().max() / expected.abs().max()).item<double>();
        Assert.True(
            err < 5e-6 || (o - expected).abs().max().item<double>() < 1e-6,
            $"relative error {err}: ours {string.Join(",", o.data<double>().ToArray())} expected "
                + $"{string.Join(",", expected.data<double>().ToArray())}"
        );
    }

    [Fact]
    public void IdentityIsThePlainDotProductOfAutogradGradients()
    {
        using var model = ModelLoader.Load(Fixtures.Model("tiny-qwen2"));
        var enc = new ExampleEncoder(Tokenizer.Load(Fixtures.Model("tiny-qwen2")));
        var train = enc.EncodeFile(Fixtures.Path_("tiny-qwen2", "train.jsonl")).Take(6).ToList();
        var queries = enc.EncodeFile(Fixtures.Path_("tiny-qwen2", "queries.jsonl")).Take(2).ToList();
        var mods = TrackedModules.Resolve(model.Config, ModuleSelection.All);
        var id = InfluenceStrategy.Get("identity");
        var scorer = new InfluenceScorer(
            model,
            mods,
            id,
            mods.Names.ToDictionary(m => m, m => new ModuleFactors { Module = m }),
            new ScoreArguments()
        );
        using var pq = scorer.PrepareQueries(queries);
        var (ours, _) = scorer.ScoreTraining(pq, train, 0, train.Count, 256);
        var tg = train.Select(e => AutogradGradients(model, e, mods.Names)).ToList();
        for (int q = 0; q < queries.Count; q++)
        {
            var qg = AutogradGradients(model, queries[q], mods.Names);
            for (int e = 0; e < train.Count; e++)
            {
                double dot = mods.Names.Sum(m => (qg[m] * tg[e][m]).sum().item<double>());
                double mine = ours[q, e].item<float>();
                Assert.True(Math.Abs(mine - dot) <= 1e-4 * Math.Abs(dot) + 1e-3, $"q{q} e{e}: {mine} vs {dot}");
            }
        }
    }
}
