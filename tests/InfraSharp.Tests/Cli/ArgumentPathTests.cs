using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Cli.Binding;
using InfraSharp.Cli.Commands;
using InfraSharp.Curation;
using InfraSharp.Evaluation;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Launch;
using InfraSharp.Reporting;
using InfraSharp.Storage;
using InfraSharp.Training;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// A record's <c>Validate()</c> names what is wrong by its manifest path (the library's own words), a path that is
/// really in the record's manifest JSON; the CLI writes the command's flag in its place, so that its one-line
/// message is the one it always was.
/// </summary>
public class ArgumentPathTests
{
    private static readonly string File_ = Fixtures.Path_("tiny-llama", "train.jsonl");

    private static (InputArgumentException Error, JsonObject Json) Refused(object record, Action validate)
    {
        var e = Assert.Throws<InputArgumentException>(validate);
        return (
            e,
            JsonSerializer.SerializeToNode(record, record.GetType(), RunManifest.SerializerOptions())!.AsObject()
        );
    }

    /// <summary>Whether <paramref name="path"/> names a property of <paramref name="json"/> (even a null
    /// one).</summary>
    internal static bool Holds(JsonObject json, string path)
    {
        JsonObject? node = json;
        var parts = path.Split('.');
        for (int i = 0; i < parts.Length; i++)
        {
            if (node is null || !node.ContainsKey(parts[i]))
                return false;
            if (i < parts.Length - 1)
                node = node[parts[i]] as JsonObject;
        }
        return true;
    }

    public static TheoryData<string, string, string> Cases() =>
        new()
        {
            { "score", "chunk_size", "chunk_size must be at least 1 (got 0)" },
            { "score run", "score.chunk_size", "score.chunk_size must be at least 1 (got 0)" },
            { "factor run", "fit.tokens_per_batch", "fit.tokens_per_batch must be at least 1 (got 0)" },
            { "launch", "factors.fit.module_partitions", "factors.fit.module_partitions must be at least 1 (got 0)" },
            { "training", "optimizer.batch_size", "optimizer.batch_size must be at least 1 (got 0)" },
            { "evaluation", "sampling.top_p", "sampling.top_p must be in (0, 1] (got 2)" },
            { "index build", "index.shard_rows", "index.shard_rows must be at least 1 (got 0)" },
            { "index query", "top_k", "top_k must be at least 1 (got 0)" },
            { "plan", "chunk_size", "chunk_size must be at least 1 (got 0)" },
            { "curation", "strength", "strength must be > 0 (got 0)" },
            { "lds", "subsets", "subsets must be at least 2 (a correlation needs two points; got 1)" },
            { "analysis", "top_k", "top_k must be at least 1 (got 0)" },
        };

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValidateNamesThePropertyPath(string record, string path, string message)
    {
        var (e, json) = record switch
        {
            "score" => Check(new ScoreArguments { ChunkSize = 0 }),
            "score run" => Check(
                new ScoreRunArguments
                {
                    Model = "m",
                    Train = File_,
                    Queries = File_,
                    Score = new ScoreArguments { ChunkSize = 0 },
                }
            ),
            "factor run" => Check(
                new FactorRunArguments
                {
                    Model = "m",
                    Data = File_,
                    Fit = new FactorArguments { TokensPerBatch = 0 },
                }
            ),
            "launch" => Check(
                new LaunchArguments
                {
                    Factors = new FactorRunArguments
                    {
                        Model = "m",
                        Data = File_,
                        Fit = new FactorArguments { ModulePartitions = 0 },
                    },
                    Out = "o",
                    InfraCommand = "infra",
                }
            ),
            "training" => Check(
                new TrainingRunArguments
                {
                    Data = File_,
                    Model = "m",
                    Optimizer = new SftOptions { BatchSize = 0 },
                }
            ),
            "evaluation" => Check(
                new EvaluationRunArguments
                {
                    Samples = File_,
                    Sampling = new SamplingSettings { TopP = 2 },
                }
            ),
            "index build" => Check(
                new IndexBuildRunArguments
                {
                    Train = File_,
                    Index = new IndexArguments { Model = "m", ShardRows = 0 },
                }
            ),
            "index query" => Check(
                new IndexQueryRunArguments
                {
                    Index = "i",
                    Queries = File_,
                    TopK = 0,
                }
            ),
            "plan" => Check(new PlanArguments { ChunkSize = 0 }),
            "curation" => Check(new CurationRunArguments { Data = File_, Strength = 0 }),
            "lds" => Check(
                new LdsRunArguments
                {
                    Model = "m",
                    Train = File_,
                    Queries = File_,
                    Subsets = 1,
                }
            ),
            _ => Check(
                new AnalysisRunArguments
                {
                    Scores = "s",
                    Train = File_,
                    Queries = File_,
                    TopK = 0,
                }
            ),
        };
        Assert.Equal(message, e.Message);
        Assert.Equal([path], e.Properties);
        Assert.True(Holds(json, path), $"{path} is not in {json.ToJsonString()}");
    }

    private static (InputArgumentException, JsonObject) Check(object record) => Refused(record, () =>
        {
            switch (record)
            {
                case ScoreArguments a:
                    a.Validate();
                    break;
                case ScoreRunArguments a:
                    a.Validate();
                    break;
                case FactorRunArguments a:
                    a.Validate();
                    break;
                case LaunchArguments a:
                    a.Validate();
                    break;
                case TrainingRunArguments a:
                    a.Validate();
                    break;
                case EvaluationRunArguments a:
                    a.Validate();
                    break;
                case IndexBuildRunArguments a:
                    a.Validate();
                    break;
                case IndexQueryRunArguments a:
                    a.Validate();
                    break;
                case PlanArguments a:
                    a.Validate();
                    break;
                case CurationRunArguments a:
                    a.Validate();
                    break;
                case LdsRunArguments a:
                    a.Validate();
                    break;
                case AnalysisRunArguments a:
                    a.Validate();
                    break;
            }
        });

    [Fact]
    public void TheCliWritesTheFlagOfAPath()
    {
        var scores = new ScoreRunArgumentsBinder(ScoreKind.Pairwise);
        var e = Assert.Throws<InputArgumentException>(() =>
            new ScoreRunArguments
            {
                Model = "m",
                Train = File_,
                Queries = File_,
                Score = new ScoreArguments { ChunkSize = 0 },
            }.Validate()
        );
        Assert.Equal("--chunk-size", scores.Flags["score.chunk_size"]);
        Assert.Equal("--chunk-size must be at least 1 (got 0)", CliRunner.Render(e, scores.Flags));
        // A path the command has no flag for stays the library's; without a map, every path does.
        Assert.Equal("score.chunk_size must be at least 1 (got 0)", CliRunner.Render(e, null));
        var launch = new LaunchArgumentsBinder(() => "infra", keepPaths: true);
        Assert.Equal("--module-partitions", launch.Flags["factors.fit.module_partitions"]);
        Assert.Equal("--chunk-size", launch.Flags["scores.score.chunk_size"]);
        Assert.Equal("--data", launch.Flags["scores.train"]);
        Assert.Equal("--mem", launch.Flags["resources.memory"]);
        // Several paths in one message, and a missing file named by the argument that gave it.
        var both = Assert.Throws<InputArgumentException>(() =>
            new TrainingRunArguments
            {
                Data = File_,
                Model = "m",
                Init = InfraSharp.Models.ShapeSpec.Parse("layers=1"),
            }.Validate()
        );
        Assert.Equal(["model", "init"], both.Properties);
        Assert.Equal(
            "--model and --init exclude each other",
            CliRunner.Render(both, new Dictionary<string, string> { ["model"] = "--model", ["init"] = "--init" })
        );
        var missing = Assert.Throws<InputFileNotFoundException>(() =>
            new FactorRunArguments { Model = "m", Data = "/no/such/rows.jsonl" }.Validate()
        );
        Assert.Equal("data /no/such/rows.jsonl: no such file", missing.Message);
        Assert.Equal(
            "--data /no/such/rows.jsonl: no such file",
            CliRunner.Render(missing, new FactorRunArgumentsBinder().Flags)
        );
    }
}
