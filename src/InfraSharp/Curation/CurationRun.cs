using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Curation;

/// <summary>
/// The curation run: reads the training rows, applies the strategy and writes the curated rows (every field kept,
/// plus <c>weight</c>) with a manifest beside them (<c>OUT.manifest.json</c>: the arguments and input fingerprints).
/// </summary>
public static class CurationRun
{
    /// <summary>
    /// Curates into <paramref name="outFile"/>, which may be no input (data, scores, analysis) and may exist only
    /// with <see cref="RunOptions.Overwrite"/>.
    /// </summary>
    public static CurationResult Run(CurationRunArguments a, string outFile, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var reads = RunInput.Of(("--data", a.Data), ("--scores", a.Scores), ("--analysis", a.Analysis)).ToList();
        OutputGuard.File(outFile, "--out", options.Overwrite, reads);
        OutputGuard.File(ManifestPath(outFile), "--out", options.Overwrite, reads);
        a.Validate();
        var rows = DatasetReader.Read(a.Data).Select(r => r.Fields).ToList();
        if (rows.Count == 0)
            throw InputError.Argument($"--data {a.Data}: the dataset is empty");
        OutputFolder.ForFile(outFile);
        var result = Apply(a, rows);
        JsonlFile.Write(outFile, result.Rows);
        var inputs = new JsonObject
        {
            ["data"] = Fingerprint.Files([a.Data]),
            ["scores"] = a.Scores is null ? null : Fingerprint.Files([Path.Combine(a.Scores, "pairwise.safetensors")]),
        };
        var manifest = new RunManifest(
            "curation",
            JsonSerializer.SerializeToNode(a, CurationJson.Manifest.CurationRunArguments)!.AsObject(),
            inputs,
            new JsonObject(),
            new JsonObject { ["rows_in"] = rows.Count, ["rows_out"] = result.Rows.Count }
        );
        AtomicFile.WriteAllText(
            ManifestPath(outFile),
            manifest.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n"
        );
        return result;
    }

    /// <summary>Where the manifest of a curated file goes: beside it, <c>OUT.manifest.json</c>.</summary>
    public static string ManifestPath(string outFile) => outFile + ".manifest.json";

    /// <summary>The strategy applied to rows in memory (what the demo and the run share).</summary>
    public static CurationResult Apply(CurationRunArguments a, IReadOnlyList<JsonObject> rows) =>
        a.Strategy switch
        {
            CurationStrategy.FlipDifficulty => FlipDifficulty.Apply(rows, a.Mode, a.Flip, a.Strength, a.Seed),
            CurationStrategy.InfluenceTop => InfluenceTop.Apply(
                rows,
                ScoreSet.Load(
                    a.Scores ?? throw InputError.ArgumentAt($"influence-top needs {ArgumentPath.Root / "scores"}")
                ),
                a.Fraction,
                a.Mode,
                a.Temperature
            ),
            CurationStrategy.AttributeInfluence => AttributeInfluence.Apply(
                rows,
                a.Analysis
                    ?? throw InputError.ArgumentAt($"attribute-influence needs {ArgumentPath.Root / "analysis"}"),
                a.Mode,
                a.Temperature,
                a.Seed
            ),
            CurationStrategy.RandomControl => RandomControl.Apply(rows, a.Mode, a.Seed),
            _ => throw new ArgumentOutOfRangeException(nameof(a), a.Strategy, "unknown curation strategy"),
        };
}
