using System.Text.Json;
using InfraSharp.Curation;
using InfraSharp.Evaluation;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Reporting;
using InfraSharp.Storage;
using InfraSharp.Tests.Cli;
using InfraSharp.Training;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Storage;

/// <summary>
/// The typed run folders against manifests that main (e3eec0c) wrote, one of each kind (<c>tests/data/manifests</c>):
/// each opens, its typed parts hold what was written, and its writer gives back the same bytes (so reruns of folders
/// written before the folder types still resume, and the fingerprints downstream runs recorded still match); a
/// manifest of another version is refused in one line naming it.
/// </summary>
public class RunFolderCompatibilityTests
{
    private static readonly string ModelFingerprint = Fingerprint.Model(Fixtures.Model("tiny-llama"));

    private static string Fixture(string name) => Path.Combine(Fixtures.Shared, "manifests", name + ".json");

    /// <summary>A folder holding the fixture as its manifest.json (edited first, when asked).</summary>
    private static string Folder(string name, Func<string, string>? edit = null)
    {
        string dir = Fixtures.TempDir();
        string text = File.ReadAllText(Fixture(name));
        File.WriteAllText(RunManifest.PathIn(dir), edit is null ? text : edit(text));
        return dir;
    }

    /// <summary>
    /// The rebuilt manifest is the fixture's bytes (less the keys a kind now writes in addition, named).
    /// </summary>
    private static void SameBytes(string name, RunManifest rebuilt, params string[] added)
    {
        var json = rebuilt.ToJson();
        foreach (var key in added)
            Assert.True(json.Remove(key), key);
        string text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        Assert.Equal(File.ReadAllText(Fixture(name)), text);
    }

    [Fact]
    public void FactorsOpenAndWriteTheSameBytes()
    {
        var f = FactorFolder.Open(Folder("factors"));
        Assert.Equal(StrategyKind.Ekfac, f.Arguments.Fit.Strategy);
        Assert.Equal(ModuleSelection.Mlp, f.Arguments.Fit.Modules);
        Assert.Equal(ModelFingerprint, f.ModelFingerprint);
        Assert.Equal(6, f.Modules.Count);
        Assert.Equal(128, f.Info!.Examples);
        // The fingerprint a score run and an index build recorded for these factors.
        var scores = ScoreFolder.Open(Folder("pairwise_scores"));
        Assert.Equal(scores.Inputs.Factors, f.RunFingerprint);
        Assert.Equal(IndexFolder.Open(Folder("gradient_index")).Inputs.Factors, f.RunFingerprint);
        SameBytes("factors", FactorFolder.Manifest(f.Arguments, f.Inputs, f.Plan, f.Info));
    }

    [Fact]
    public void ScoresOpenAndWriteTheSameBytes()
    {
        var s = ScoreFolder.Open(Folder("pairwise_scores"));
        Assert.Equal(Measurement.MeanLogProb, s.Measurement);
        Assert.True(s.Arguments.Score.PerToken);
        Assert.Equal(ModelFingerprint, s.ModelFingerprint);
        Assert.Equal("ekfac", s.Plan.Strategy);
        Assert.Equal(8, s.Info!.Queries);
        SameBytes("pairwise_scores", ScoreFolder.Manifest(s.Arguments, s.Inputs, s.Plan, s.Info));

        string selfDir = Folder("self_scores");
        // A reader of pairwise scores refuses self scores; merge takes either.
        Assert.Throws<InvalidDataException>(() => ScoreFolder.Open(selfDir));
        var self = ScoreFolder.Open(selfDir, "--scores", ScoreKind.Pairwise, ScoreKind.Self);
        Assert.Equal(ScoreKind.Self, self.Arguments.Kind);
        Assert.Null(self.Inputs.Queries);
        SameBytes("self_scores", ScoreFolder.Manifest(self.Arguments, self.Inputs, self.Plan, self.Info!));
    }

    [Fact]
    public void AnalysisTrainingAndEvaluationOpenAndWriteTheSameBytes()
    {
        var a = AnalysisFolder.Open(Folder("analysis"));
        Assert.Equal("/tmp/m/scores", a.Arguments.Scores);
        Assert.Equal(["domain", "difficulty"], a.Arguments.GroupBy);
        SameBytes("analysis", AnalysisFolder.Manifest(a.Arguments, a.Inputs));

        var t = TrainingFolder.Open(Folder("training"));
        Assert.Equal(ModelFingerprint, t.Inputs.Model);
        Assert.Equal(1, t.Arguments.Optimizer.MaxSteps);
        SameBytes("training", TrainingFolder.Manifest(t.Arguments, t.Inputs));

        var e = EvaluationFolder.Open(Folder("eval_math"));
        Assert.Equal(EvalDomain.Math, e.Arguments.Domain);
        Assert.Equal(ModelFingerprint, e.Inputs.Model);
        Assert.Null(e.Inputs.Samples);
        SameBytes("eval_math", EvaluationFolder.Manifest(e.Arguments, e.Inputs));
    }

    [Fact]
    public void CurationManifestsOpenAndWriteTheSameBytes()
    {
        foreach (
            var (name, strategy) in new[]
            {
                ("curation-attribute-influence", CurationStrategy.AttributeInfluence),
                ("curation-influence-top", CurationStrategy.InfluenceTop),
            }
        )
        {
            string outFile = Path.Combine(Fixtures.TempDir(), "curated.jsonl");
            File.Copy(Fixture(name), CurationManifest.PathFor(outFile));
            var c = CurationManifest.Open(outFile);
            Assert.Equal(strategy, c.Arguments.Strategy);
            Assert.Equal(strategy == CurationStrategy.InfluenceTop, c.Inputs.Scores is not null);
            Assert.Equal(128, c.Info!.RowsIn);
            SameBytes(name, CurationManifest.Manifest(c.Arguments, c.Inputs, c.Info));
        }
    }

    [Fact]
    public void IndexAndIndexQueryOpenAndWriteTheSameBytes()
    {
        var ix = IndexFolder.Open(Folder("gradient_index"));
        Assert.Equal(6144, ix.Plan.Dimension);
        Assert.Equal(6, ix.Plan.Modules.Count);
        Assert.Equal(
            new IndexShape
            {
                Module = ix.Plan.Modules[0],
                In = 64,
                Out = 192,
                KIn = 32,
                KOut = 32,
            },
            ix.Plan.Shapes[0]
        );
        SameBytes("gradient_index", IndexFolder.Manifest(ix.Arguments, ix.Inputs, ix.Plan, ix.Info!));

        var q = IndexQueryFolder.Open(Folder("index_query"), "--scores");
        Assert.Equal(Measurement.MeanLogProb, q.Measurement);
        Assert.Equal(ModelFingerprint, q.Inputs.Model);
        var train = Fixtures.Jsonl(Fixtures.Path_("tiny-llama", "train.jsonl")).ToList();
        var queries = Fixtures.Jsonl(Fixtures.Path_("tiny-llama", "queries.jsonl")).ToList();
        Assert.Equal(queries.Select(r => r["id"]!.ToString()), q.Info.Queries);
        Assert.Equal(train.Count, q.Info.Rows);
        Assert.Equal(IndexQueryFolder.RowIdsFingerprint(train.Select(r => r["id"]!.ToString())), q.Info.RowIdsSha256);
        // Written by hand before, the query's manifest now also records what it owns (and its empty plan).
        SameBytes("index_query", IndexQueryFolder.Manifest(q.Arguments, q.Inputs, q.Info), "owns", "plan");
    }

    [Fact]
    public void LdsOpensAndWritesTheSameBytes()
    {
        var l = LdsFolder.Open(Folder("lds"));
        Assert.Equal(2, l.Arguments.Subsets);
        Assert.Equal(64, l.Plan.SubsetSize);
        Assert.Equal(1, l.Inputs.TrainingArgs.Optimizer.MaxSteps);
        Assert.Equal(ModelFingerprint, l.Inputs.BaseModel);
        SameBytes("lds", LdsFolder.Manifest(l.Arguments, l.Inputs, l.Plan, l.Info!));
    }

    [Fact]
    public void AManifestOfAnotherVersionIsRefusedInOneLineNamingTheVersion()
    {
        static string Version(string text, string version) =>
            text.Replace("\"infrasharp\": \"0.3\"", $"\"infrasharp\": \"{version}\"");
        string dir = Folder("factors", t => Version(t, "0.2"));
        var e = Assert.Throws<InvalidDataException>(() => FactorFolder.Open(dir));
        Assert.Equal(
            $"{RunManifest.PathIn(dir)}: written by InfraSharp manifest version 0.2; this version reads 0.3; "
                + "rerun that step",
            e.Message
        );
        Assert.True(InputError.Is(e, out _));
        // Without a version at all (written before manifests carried one).
        dir = Folder("pairwise_scores", t => t.Replace("  \"infrasharp\": \"0.3\",\n", ""));
        Assert.Contains(
            "manifest version (none); this version reads 0.3",
            Assert.Throws<InvalidDataException>(() => ScoreFolder.Open(dir)).Message
        );
        // A file output's manifest alike.
        string outFile = Path.Combine(Fixtures.TempDir(), "curated.jsonl");
        File.WriteAllText(
            CurationManifest.PathFor(outFile),
            Version(File.ReadAllText(Fixture("curation-influence-top")), "0.4")
        );
        Assert.Contains(
            "manifest version 0.4;",
            Assert.Throws<InvalidDataException>(() => CurationManifest.Open(outFile)).Message
        );

        // The command: exit 2, one line naming the manifest and its version.
        dir = Folder("pairwise_scores", t => Version(t, "0.2"));
        var r = InfraProcess.Run(["merge", "--scores", dir]);
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains($"{RunManifest.PathIn(dir)}: written by InfraSharp manifest version 0.2", line);
    }
}
