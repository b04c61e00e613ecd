using System.Text.Json.Nodes;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Tests.Influence;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Index;

/// <summary>
/// The projected-gradient store against exact math and the exact score runs on the fixture models: projection,
/// exactness without projection, append and partitions equal one build, foreign and truncated shards refused, and
/// the quality of the default projection against exact EK-FAC.
/// </summary>
public class GradientIndexTests
{
    private static IndexBuildRunArguments Args(
        string model,
        string train,
        string? dims = null,
        string precondition = "ekfac",
        string store = "float32",
        long seed = 0,
        int shardRows = 40
    ) =>
        new()
        {
            Train = train,
            Index = new IndexArguments
            {
                Model = Fixtures.Model(model),
                ProjectionDim = dims is null ? ProjectionSpec.Default : ProjectionSpec.Parse(dims),
                Precondition = Word<IndexPrecondition>(precondition),
                StoreDType = Word<StoreDType>(store),
                Seed = seed,
                ShardRows = shardRows,
                TokensPerBatch = 2048,
            },
        };

    private static T Word<T>(string word)
        where T : struct, Enum => EnumNames.All<T>()[word];

    private static string Train(string model) => Fixtures.Path_(model, "train.jsonl");

    private static string Queries(string model) => Fixtures.Path_(model, "queries.jsonl");

    /// <summary>Every stored vector of an index, in row order, float32 [rows, dim].</summary>
    private static Tensor Vectors(string dir)
    {
        using var index = GradientIndex.Open(dir);
        return cat(index.Shards.Select(s => s.Vectors(0, s.Header.Rows)).ToList(), 0);
    }

    private static Tensor Scores(string dir, string queries)
    {
        string outDir = Path.Combine(dir + "-query");
        IndexQueryRun.Run(
            new IndexQueryRunArguments
            {
                Index = dir,
                Queries = queries,
                FullScores = true,
                TopK = 5,
            },
            outDir
        );
        // The query's manifest says how its scores read: the loss measurement's sign (the default), raw only.
        var info = IndexQueryFolder.Open(outDir, "--scores").Info;
        Assert.Equal(ScoreReading.SignLine(Measurement.Loss), info.Sign);
        Assert.Contains("no normalised reading: the index stores no query self-influence", info.Reading);
        return SafeTensorsFile.Open(Path.Combine(outDir, "scores.safetensors")).Read("scores");
    }

    private static double RelativeError(Tensor a, Tensor b) =>
        ((a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).norm() / b.to(ScalarType.Float64).norm()).item<double>();

    /// <summary>Mean over queries (rows) of the Pearson correlation between two score matrices.</summary>
    private static double MeanQueryPearson(Tensor a, Tensor b)
    {
        var x = a.to(ScalarType.Float64);
        var y = b.to(ScalarType.Float64);
        var xc = x - x.mean([1L], keepdim: true);
        var yc = y - y.mean([1L], keepdim: true);
        return ((xc * yc).sum([1L]) / ((xc * xc).sum([1L]) * (yc * yc).sum([1L])).sqrt()).mean().item<double>();
    }

    [Fact]
    public void ProjectedGradientIsPOutTimesGTimesPInTransposed()
    {
        var (model, train, _) = KronfluenceParityTests.Load("tiny-qwen2");
        using var _m = model;
        var modules = TrackedModules.Resolve(model.Config, ModuleSelection.Mlp);
        using var projection = GradientProjection.Create(model, modules.Names, new ProjectionSpec("8:12"), 3);
        var bg = BatchGradients.Compute(model, train.Take(4).ToList(), modules.Names);
        var vectors = projection.Vectors(projection.Apply(bg));
        long offset = 0;
        foreach (var shape in projection.Shapes)
        {
            var (pin, pout) = projection.Matrices(shape.Module);
            Assert.Equal([12L, shape.OutWidth], pout!.shape);
            Assert.Equal([8L, shape.InWidth], pin!.shape);
            var explicitG = bg.PerExample(shape.Module).to(ScalarType.Float64);
            var expected = matmul(
                matmul(pout.to(ScalarType.Float64), explicitG),
                pin.to(ScalarType.Float64).transpose(0, 1)
            );
            var got = vectors.narrow(1, offset, shape.Size).reshape(4, 12, 8).to(ScalarType.Float64);
            double scale = expected.abs().max().item<double>();
            Assert.True((got - expected).abs().max().item<double>() <= 1e-5 * scale, shape.Module);
            offset += shape.Size;
        }
        Assert.Equal(projection.Dimension, offset);
        // The same seed draws the same matrices; another seed others.
        using var again = GradientProjection.Create(model, modules.Names, new ProjectionSpec("8:12"), 3);
        using var other = GradientProjection.Create(model, modules.Names, new ProjectionSpec("8:12"), 4);
        string m0 = modules.Names[0];
        Assert.True(again.Matrices(m0).In!.equal(projection.Matrices(m0).In!).all().item<bool>());
        Assert.False(other.Matrices(m0).In!.equal(projection.Matrices(m0).In!).all().item<bool>());
    }

    // System tier: full-size gradients of every training row, exact EK-FAC beside them: 15 s to 2 min per case here.
    [Theory]
    [Trait("Category", "System")]
    [InlineData("tiny-qwen2", "ekfac")]
    [InlineData("tiny-llama", "none")]
    [InlineData("tiny-llama", "kfac")]
    public void WithoutProjectionIndexScoresEqualTheExactScores(string model, string precondition)
    {
        string root = Fixtures.TempDir(),
            idx = Path.Combine(root, "idx");
        IndexBuildRun.Run(Args(model, Train(model), "full", precondition), idx);
        var ours = Scores(idx, Queries(model));

        var (m, train, queries) = KronfluenceParityTests.Load(model);
        using var _m = m;
        var strategy = InfluenceStrategy.Get(precondition == "none" ? "identity" : precondition);
        var modules = TrackedModules.Resolve(m.Config, ModuleSelection.Mlp);
        var factors = strategy.NeedsAnyFactor
            ? KronfluenceParityTests.Fit(m, train, modules, strategy)
            : modules.Names.ToDictionary(x => x, x => new ModuleFactors { Module = x });
        var scorer = new InfluenceScorer(m, modules, strategy, factors, new ScoreArguments());
        using var pq = scorer.PrepareQueries(queries);
        var (exact, _) = scorer.ScoreTraining(pq, train, 0, train.Count, train.Max(e => e.Length));
        double rel = RelativeError(ours, exact);
        Assert.True(rel <= 1e-4, $"{model} {precondition}: relative error {rel}");
    }

    // System tier: five index builds, over 30 s here.
    [Fact]
    [Trait("Category", "System")]
    public void AppendingEqualsBuildingAtOnceAndPartitionsConcatenate()
    {
        const string model = "tiny-llama";
        string root = Fixtures.TempDir();
        var lines = File.ReadAllLines(Train(model)).Where(l => l.Length > 0).ToArray();
        string first = Path.Combine(root, "first.jsonl"),
            second = Path.Combine(root, "second.jsonl");
        File.WriteAllLines(first, lines.Take(70));
        File.WriteAllLines(second, lines.Skip(70));

        string whole = Path.Combine(root, "whole"),
            appended = Path.Combine(root, "appended"),
            parts = Path.Combine(root, "parts");
        IndexBuildRun.Run(Args(model, Train(model)), whole);
        IndexBuildRun.Run(Args(model, first), appended);
        var r = IndexBuildRun.Run(Args(model, second) with { Append = true }, appended);
        Assert.True(r.Complete);
        Assert.Equal(2, GradientIndex.ReadSegments(appended).Count);
        // Partitions: the first task alone leaves the segment incomplete (nothing to query yet); the second
        // finishes it.
        var p0 = IndexBuildRun.Run(
            Args(model, Train(model)),
            parts,
            new RunOptions { Partition = new Partition(0, 2) }
        );
        Assert.False(p0.Complete);
        Assert.Throws<InvalidDataException>(() => GradientIndex.Open(parts));
        Assert.True(
            IndexBuildRun
                .Run(Args(model, Train(model)), parts, new RunOptions { Partition = new Partition(1, 2) })
                .Complete
        );

        var v = Vectors(whole);
        Assert.True(Vectors(parts).equal(v).all().item<bool>(), "partitioned build differs from the single build");
        Assert.True(RelativeError(Vectors(appended), v) <= 1e-5);
        var s = Scores(whole, Queries(model));
        Assert.True(Scores(parts, Queries(model)).allclose(s, rtol: 1e-5, atol: 1e-6 * s.abs().max().item<float>()));
        Assert.True(RelativeError(Scores(appended, Queries(model)), s) <= 1e-4);
        using (var index = GradientIndex.Open(appended))
            Assert.Equal(lines.Length, index.Ids().Count);
    }

    [Fact]
    public void ForeignAndTruncatedShardsAreRefused()
    {
        const string model = "tiny-qwen2";
        string root = Fixtures.TempDir(),
            a = Path.Combine(root, "a"),
            b = Path.Combine(root, "b");
        IndexBuildRun.Run(Args(model, Train(model), "8", "none", "float16", seed: 0), a);
        IndexBuildRun.Run(Args(model, Train(model), "8", "none", "float16", seed: 1), b);
        string shard = Path.Combine(a, GradientIndex.ReadSegments(a)[0].Shards[0]);
        string foreign = Path.Combine(b, GradientIndex.ReadSegments(b)[0].Shards[0]);
        var original = File.ReadAllBytes(shard);

        File.Copy(foreign, shard, overwrite: true);
        var e = Assert.Throws<InvalidDataException>(() => GradientIndex.Open(a));
        Assert.Contains("projection seed 1", e.Message);
        Assert.Contains(shard, e.Message);

        File.WriteAllBytes(shard, original[..(original.Length - 100)]);
        e = Assert.Throws<InvalidDataException>(() => GradientIndex.Open(a));
        Assert.Contains("truncated shard", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        // Appending another model's gradients, or with another projection seed, is refused before anything is written.
        File.WriteAllBytes(shard, original);
        var other = Args("tiny-llama", Train("tiny-llama"), "8", "none", "float16") with { Append = true };
        Assert.Throws<InputArgumentException>(() => IndexBuildRun.Run(other, a));
        var reseeded = Args(model, Queries(model), "8", "none", "float16", seed: 5) with { Append = true };
        var diff = Assert.Throws<InputArgumentException>(() => IndexBuildRun.Run(reseeded, a));
        Assert.Contains("seed", diff.Message);
        Assert.Single(GradientIndex.ReadSegments(a));
    }

    // System tier: fits exact EK-FAC factors to compare against, 20 s to over a minute per model here.
    [Theory]
    [Trait("Category", "System")]
    [InlineData("tiny-qwen2")]
    [InlineData("tiny-llama")]
    public void DefaultProjectionTracksExactEkfac(string model)
    {
        string root = Fixtures.TempDir(),
            idx = Path.Combine(root, "idx");
        IndexBuildRun.Run(
            Args(model, Train(model)) with
            {
                Index = Args(model, Train(model)).Index with { StoreDType = StoreDType.Float16 },
            },
            idx
        );
        var ours = Scores(idx, Queries(model));
        var (m, train, queries) = KronfluenceParityTests.Load(model);
        using var _m = m;
        var ekfac = InfluenceStrategy.Get("ekfac");
        var modules = TrackedModules.Resolve(m.Config, ModuleSelection.Mlp);
        var scorer = new InfluenceScorer(
            m,
            modules,
            ekfac,
            KronfluenceParityTests.Fit(m, train, modules, ekfac),
            new ScoreArguments()
        );
        using var pq = scorer.PrepareQueries(queries);
        var (exact, _) = scorer.ScoreTraining(pq, train, 0, train.Count, train.Max(e => e.Length));
        double r = MeanQueryPearson(ours, exact);
        Assert.True(r >= 0.7, $"{model}: mean per-query Pearson {r} at --projection-dim {ProjectionSpec.Default}");
    }

    [Fact]
    public void TopKMatchesTheFullScoresAndFiltersKeepOnlyMatchingRows()
    {
        const string model = "tiny-qwen2";
        string root = Fixtures.TempDir(),
            idx = Path.Combine(root, "idx"),
            q = Path.Combine(root, "q");
        IndexBuildRun.Run(Args(model, Train(model), "16", "ekfac", "float16"), idx);
        IndexQueryRun.Run(
            new IndexQueryRunArguments
            {
                Index = idx,
                Queries = Queries(model),
                TopK = 7,
                FullScores = true,
                Filters = [RowFilter.Parse("domain=code")],
            },
            q
        );
        var scores = SafeTensorsFile.Open(Path.Combine(q, "scores.safetensors")).Read("scores");
        // An EK-FAC index serves K-FAC (its eigenbasis) and none, not a diagonal preconditioner.
        var refused = Assert.Throws<InputArgumentException>(() =>
            IndexQueryRun.Run(
                new IndexQueryRunArguments
                {
                    Index = idx,
                    Queries = Queries(model),
                    Precondition = IndexPrecondition.Diagonal,
                },
                Path.Combine(root, "q-diagonal")
            )
        );
        Assert.Contains("ekfac", refused.Message);
        IndexQueryRun.Run(
            new IndexQueryRunArguments
            {
                Index = idx,
                Queries = Queries(model),
                Precondition = IndexPrecondition.Kfac,
            },
            Path.Combine(root, "q-kfac")
        );
        using var index = GradientIndex.Open(idx);
        var ids = index.Ids();
        var domains = File.ReadLines(Train(model))
            .Where(l => l.Length > 0)
            .Select(l => JsonNode.Parse(l)!["domain"]!.ToString())
            .ToArray();
        var rows = Fixtures.Jsonl(Path.Combine(q, "top.jsonl")).ToList();
        Assert.Equal(8, rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var row = scores[i].to(ScalarType.Float64).data<double>().ToArray();
            var code = Enumerable.Range(0, row.Length).Where(j => domains[j] == "code").ToList();
            var expectTop = code.OrderByDescending(j => row[j]).Take(7).Select(j => ids[j]).ToList();
            var expectBottom = code.OrderBy(j => row[j]).Take(7).Select(j => ids[j]).ToList();
            Assert.Equal(expectTop, rows[i]["top_ids"]!.AsArray().Select(x => x!.ToString()).ToList());
            Assert.Equal(expectBottom, rows[i]["bottom_ids"]!.AsArray().Select(x => x!.ToString()).ToList());
        }
    }
}
