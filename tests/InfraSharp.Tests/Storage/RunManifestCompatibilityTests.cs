using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using InfraSharp.Curation;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Reporting;
using InfraSharp.Storage;
using InfraSharp.Training;

namespace InfraSharp.Tests.Storage;

/// <summary>
/// Manifests written by the code before the arguments records were typed (commit 2a26c6a, under
/// <c>tests/data/manifests-0.3</c>; their paths rewritten to <c>/shared/...</c>) read back into the typed records,
/// equal to the records the same command lines build today, write back the very same JSON, and a rerun of the same
/// arguments resumes them instead of refusing with a diff.
/// </summary>
public class RunManifestCompatibilityTests
{
    private const string Model = "/shared/tiny-llama/model",
        Train = "/shared/tiny-llama/train.jsonl",
        Queries = "/shared/tiny-llama/queries.jsonl";

    private static JsonObject Manifest(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Shared, "manifests-0.3", name + ".json")))!.AsObject();

    /// <summary>
    /// Reads the old manifest's arguments as <typeparamref name="T"/>, checks that they write back unchanged, and
    /// that the manifest a rerun with them would write resumes the old folder. Returns the arguments read.
    /// </summary>
    private static T ReadsBackAndResumes<T>(string name, JsonTypeInfo<T> type)
    {
        var old = Manifest(name);
        var args = old["arguments"].Deserialize(type)!;
        var again = JsonSerializer.SerializeToNode(args, type)!.AsObject();
        Assert.True(
            JsonNode.DeepEquals(old["arguments"], again),
            $"{name}: {old["arguments"]!.ToJsonString()}\nwrites back as\n{again.ToJsonString()}"
        );
        string dir = Fixtures.TempDir();
        File.WriteAllText(RunManifest.PathIn(dir), old.ToJsonString());
        var rerun = new RunManifest(old["kind"]!.ToString(), again, old["inputs"]!.AsObject(), old["plan"]!.AsObject())
        {
            Owns = [.. old["owns"]!.AsArray().Select(o => o!.ToString())],
        };
        Assert.True(rerun.Prepare(dir, overwrite: false), $"{name}: the rerun did not resume the old folder");
        return args;
    }

    [Fact]
    public void FactorsManifestReadsBackEqual()
    {
        var args = ReadsBackAndResumes("factors", InfluenceJson.Manifest.FactorRunArguments);
        Assert.Equal(
            new FactorRunArguments
            {
                Model = Model,
                Data = Train,
                Fit = new FactorArguments
                {
                    Strategy = StrategyKind.Kfac,
                    Modules = ModuleSelection.Mlp,
                    TokensPerBatch = 2048,
                },
            },
            args
        );
    }

    [Fact]
    public void ScoreManifestsReadBackEqual()
    {
        var pairwise = ReadsBackAndResumes("scores-pairwise", InfluenceJson.Manifest.ScoreRunArguments);
        Assert.Equal(
            new ScoreRunArguments
            {
                Model = Model,
                Factors = "/shared/run/factors",
                Train = Train,
                Queries = Queries,
                Score = new ScoreArguments
                {
                    Damping = 1e-8,
                    Measurement = Measurement.MeanLogProb,
                    PerToken = true,
                    Precision = Precision.Float64,
                },
            },
            pairwise
        );
        var self = ReadsBackAndResumes("scores-self", InfluenceJson.Manifest.ScoreRunArguments);
        Assert.Equal(
            new ScoreRunArguments
            {
                Kind = ScoreKind.Self,
                Model = Model,
                Train = Train,
                Strategy = StrategyKind.Identity,
            },
            self
        );
    }

    [Fact]
    public void IndexManifestsReadBackEqual()
    {
        var build = ReadsBackAndResumes("index-build", IndexJson.Manifest.IndexArguments);
        Assert.Equal(
            new IndexArguments
            {
                Model = Model,
                Modules = ModuleSelection.Mlp,
                ProjectionDim = ProjectionSpec.Parse("mlp=16"),
                Precondition = IndexPrecondition.Kfac,
                StoreDType = StoreDType.Float32,
            },
            build
        );
        Assert.Equal(StrategyKind.Kfac, build.StrategyName);
        // A query folder's manifest is written, not compared: it only has to read back as it was.
        var old = Manifest("index-query")["arguments"];
        var query = old.Deserialize(IndexJson.Manifest.IndexQueryRunArguments)!;
        Assert.Equal([new RowFilter("domain", "math")], query.Filters);
        Assert.Equal(IndexPrecondition.None, query.Precondition);
        Assert.True(
            JsonNode.DeepEquals(old, JsonSerializer.SerializeToNode(query, IndexJson.Manifest.IndexQueryRunArguments))
        );
    }

    [Fact]
    public void CurationTrainingAndAnalysisManifestsReadBackEqual()
    {
        var curation = ReadsBackAndResumes("curation", CurationJson.Manifest.CurationRunArguments);
        Assert.Equal(
            new CurationRunArguments { Data = Train, Flip = DifficultyFlip.Parse("math:up,code:keep") },
            curation
        );
        var training = ReadsBackAndResumes("train", TrainingJson.Manifest.TrainingRunArguments);
        Assert.Equal(
            new TrainingRunArguments
            {
                Data = "/shared/run/syn/train.jsonl",
                Init = ShapeSpec.Parse("layers=1,hidden=16,heads=2,kv_heads=1,mlp=32"),
                TrainTokenizer = 300,
                Optimizer = new SftOptions { MaxSteps = 2 },
            },
            training
        );
        var analysis = ReadsBackAndResumes("analysis", ReportingJson.Manifest.AnalysisRunArguments);
        Assert.Equal("/shared/run/scores", analysis.Scores);
        Assert.Equal(["domain", "difficulty"], analysis.GroupBy);
    }
}
