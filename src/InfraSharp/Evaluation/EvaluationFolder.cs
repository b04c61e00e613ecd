using System.Text.Json.Nodes;
using InfraSharp.Storage;

namespace InfraSharp.Evaluation;

/// <summary>
/// An evaluation folder (what <see cref="EvaluationRun"/> writes): its kinds (one per domain), file names, the files it
/// owns and its manifest's typed parts.
/// </summary>
public sealed record EvaluationFolder(string Dir, EvaluationRunArguments Arguments, EvaluationInputs Inputs)
{
    /// <summary>The run kind of a math evaluation folder.</summary>
    public const string MathKind = "eval_math";

    /// <summary>The run kind of a code evaluation folder.</summary>
    public const string CodeKind = "eval_code";

    /// <summary>The run kind of a mixed (per-row domain) evaluation folder.</summary>
    public const string MixedKind = "eval_mixed";

    /// <summary>One graded sample a line.</summary>
    public const string ResultsFile = "results.jsonl";

    /// <summary>The summary as JSON.</summary>
    public const string SummaryFile = "summary.json";

    /// <summary>The summary as a Markdown table.</summary>
    public const string SummaryMarkdownFile = "summary.md";

    /// <summary>What an evaluation run writes into its folder.</summary>
    public static readonly string[] OwnedFiles = [ResultsFile, SummaryFile, SummaryMarkdownFile];

    /// <summary>The run kind an evaluation of <paramref name="domain"/> writes.</summary>
    public static string KindName(EvalDomain domain) =>
        domain switch
        {
            EvalDomain.Code => CodeKind,
            EvalDomain.Mixed => MixedKind,
            _ => MathKind,
        };

    /// <summary>The evaluation folder <paramref name="dir"/> of either domain.</summary>
    public static EvaluationFolder Open(string dir, string option = "--out")
    {
        var f = RunFolder.Open(dir, option, "evaluation folder", MathKind, CodeKind, MixedKind);
        var json = EvaluationJson.Manifest;
        return new EvaluationFolder(dir, f.Arguments(json.EvaluationRunArguments), f.Inputs(json.EvaluationInputs));
    }

    /// <summary>The manifest an evaluation run writes (the arguments normalised; nothing planned, no info).</summary>
    public static RunManifest Manifest(EvaluationRunArguments arguments, EvaluationInputs inputs)
    {
        var json = EvaluationJson.Manifest;
        return new RunManifest(
            KindName(arguments.Domain),
            RunFolder.Node(arguments, json.EvaluationRunArguments),
            RunFolder.Node(inputs, json.EvaluationInputs),
            Plan: new JsonObject()
        )
        {
            Owns = OwnedFiles,
        };
    }
}

/// <summary>
/// Fingerprints of the problems and of the samples graded, or of the model that generated them (null when the samples
/// were given).
/// </summary>
public sealed record EvaluationInputs
{
    /// <summary>Fingerprint of the problem rows, or null when only samples were given.</summary>
    public required string? Problems { get; init; }

    /// <summary>Fingerprint of the given samples, or null when a model generated them.</summary>
    public required string? Samples { get; init; }

    /// <summary>Fingerprint of the model that generated the samples, or null when samples were given.</summary>
    public required string? Model { get; init; }
}
