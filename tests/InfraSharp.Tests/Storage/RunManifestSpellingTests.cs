using System.Text.Json;
using InfraSharp.Curation;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Storage;

/// <summary>
/// Each typed argument writes, in a manifest, exactly the word or text that the string (or TorchSharp's ScalarType)
/// it replaced wrote, and reads it back to an equal value; a malformed text is bad input naming the option.
/// </summary>
public class RunManifestSpellingTests
{
    private static readonly JsonSerializerOptions Options = RunManifest.SerializerOptions();

    private static void RoundTrips<T>(T value, string json)
    {
        Assert.Equal(json, JsonSerializer.Serialize(value, Options));
        Assert.Equal(value, JsonSerializer.Deserialize<T>(json, Options));
    }

    [Fact]
    public void EnumsKeepTheirManifestWords()
    {
        RoundTrips(StrategyKind.Identity, "\"identity\"");
        RoundTrips(StrategyKind.Diagonal, "\"diagonal\"");
        RoundTrips(StrategyKind.Kfac, "\"kfac\"");
        RoundTrips(StrategyKind.Ekfac, "\"ekfac\"");
        RoundTrips(StrategyKind.Random, "\"random\"");
        RoundTrips(StrategyKind.Repsim, "\"repsim\"");
        RoundTrips(StrategyKind.Bm25, "\"bm25\"");
        // As TorchSharp's ScalarType was written; the CLI's words are float32 and float64.
        RoundTrips(Precision.Float32, "\"Float32\"");
        RoundTrips(Precision.Float64, "\"Float64\"");
        Assert.Equal(["float32", "float64"], EnumNames.All<Precision>().Keys);
        RoundTrips(IndexPrecondition.None, "\"none\"");
        RoundTrips(IndexPrecondition.Diagonal, "\"diagonal\"");
        RoundTrips(IndexPrecondition.Kfac, "\"kfac\"");
        RoundTrips(IndexPrecondition.Ekfac, "\"ekfac\"");
        RoundTrips(StoreDType.Float16, "\"float16\"");
        RoundTrips(StoreDType.Float32, "\"float32\"");
        foreach (var (kind, strategy) in InfluenceStrategy.Registry)
            Assert.Equal(EnumNames.Of(kind), strategy.Name);
    }

    [Theory]
    [InlineData("all")]
    [InlineData("mlp")]
    [InlineData("attn")]
    [InlineData("attention")]
    [InlineData(@"layers\.1\..*proj")]
    public void ModuleSelectionsKeepTheirText(string text) =>
        RoundTrips(ModuleSelection.Parse(text), JsonSerializer.Serialize(text));

    [Theory]
    [InlineData("32")]
    [InlineData("full")]
    [InlineData("8:32")]
    [InlineData("mlp=16,attn=8")]
    public void ProjectionSpecsKeepTheirText(string text) =>
        RoundTrips(ProjectionSpec.Parse(text), JsonSerializer.Serialize(text));

    [Fact]
    public void TextValuesKeepTheirText()
    {
        RoundTrips(RowFilter.Parse("domain=math"), "\"domain=math\"");
        RoundTrips(DifficultyFlip.Parse("math:up,code:keep"), "\"math:up,code:keep\"");
        RoundTrips(
            ShapeSpec.Parse("layers=1,hidden=16,heads=2,kv_heads=1,mlp=32"),
            "\"layers=1,hidden=16,heads=2,kv_heads=1,mlp=32\""
        );
        // The records' defaults are today's strings.
        Assert.Equal("all", new FactorArguments().Modules.Text);
        Assert.Equal(
            "math:up,code:down",
            new CurationRunArguments { Data = "" }
                .Flip
                .Text
        );
        Assert.Equal(
            "32",
            new IndexArguments { Model = "" }
                .ProjectionDim
                .Text
        );
        Assert.Equal(default(ModuleSelection), ModuleSelection.All);
        Assert.Equal(default(DifficultyFlip), DifficultyFlip.Infra);
    }

    [Theory]
    [InlineData("mlp.(up", "--modules 'mlp.(up'")]
    [InlineData("16,[z-a]=8", "--projection-dim '[z-a]'")]
    [InlineData("mlp=0", "--projection-dim mlp=0")]
    [InlineData("domain", "--filter domain")]
    [InlineData("math:sideways", "--flip 'math:sideways'")]
    [InlineData("layers=1,bogus=2", "unknown key 'bogus'")]
    public void AMalformedTextIsBadInputNamingIt(string text, string named)
    {
        Exception Refusal(Action parse) => Assert.IsAssignableFrom<ArgumentException>(Record.Exception(parse));
        var e = named.Split(' ')[0] switch
        {
            "--modules" => Refusal(() => ModuleSelection.Parse(text)),
            "--projection-dim" => Refusal(() => ProjectionSpec.Parse(text)),
            "--filter" => Refusal(() => RowFilter.Parse(text)),
            "--flip" => Refusal(() => DifficultyFlip.Parse(text)),
            _ => Refusal(() => ShapeSpec.Parse(text)),
        };
        Assert.Contains(named, e.Message);
        Assert.True(InputError.Is(e, out _));
    }

    [Fact]
    public void AManifestHoldingAMalformedTextIsMalformedJson()
    {
        // What the runs' manifest readers already turn into one line naming the file.
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ModuleSelection>("\"mlp.(up\"", Options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ProjectionSpec>("\"mlp=0\"", Options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ModuleSelection>("16", Options));
    }
}
