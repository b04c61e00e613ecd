using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using InfraSharp.Validation;

namespace InfraSharp.Reporting;

/// <summary>
/// The analysis run: example, sequence and token level attribution of a score folder, written as tables
/// (CSV + Parquet), summary.md and a self-contained report.html, with a manifest.
/// </summary>
public static class AnalysisRun
{
    /// <summary>
    /// Analyses the pairwise scores of <see cref="AnalysisRunArguments.Scores"/> and writes tables, summary, report and
    /// manifest into <paramref name="outDir"/>.
    /// </summary>
    /// <returns>The tables computed.</returns>
    public static AnalysisResult Run(AnalysisRunArguments arguments, string outDir, RunOptions? options = null)
    {
        options ??= new RunOptions();
        var o = arguments.Normalized();
        o.Validate();
        if (o.Lds is not null)
            LdsTables.Read(o.Lds);
        if (o.GroupBy.Length == 0 || o.QueryGroupBy.Length == 0)
            throw InputError.Argument("--group-by and --query-group-by need at least one key");
        var scores = ScoreFolder.Open(o.Scores);
        var scoreArgs = scores.Arguments;
        var set = ScoreSet.Load(o.Scores);
        if (o.HeatmapQuery is not null && set.PerToken is not null && set.Queries.All(q => q.Id != o.HeatmapQuery))
            throw InputError.Argument($"--heatmap-query '{o.HeatmapQuery}' is not a scored query id");
        string modelDir = o.Model ?? scoreArgs.Model;
        LoadedModel.RequireFolder(modelDir, "--model");
        if (o.Model is not null && Fingerprint.Model(modelDir) != scores.ModelFingerprint)
            throw InputError.Data(
                $"--model {modelDir}: the scores in {o.Scores} were computed with another model ({scoreArgs.Model})"
            );
        var tok = Tokenizer.Load(modelDir);
        var enc = new ExampleEncoder(tok);
        var trainRows = DatasetReader.Read(o.Train).ToList();
        var train = trainRows.Select(r => EncodeWithText(enc, r)).ToList();
        if (train.Count != set.N || train.Select(e => e.Id).Where((id, i) => id != set.Train[i].Id).Any())
            throw InputError.Data(
                $"{o.Train}: its {train.Count} rows are not the {set.N} training rows scored in {o.Scores}"
            );
        var queryRows = DatasetReader.Read(o.Queries).ToList();
        if (set.Q > 1 && queryRows.Count != set.Q)
            throw InputError.Data(
                $"{o.Queries}: its {queryRows.Count} rows are not the {set.Q} queries scored in {o.Scores}"
            );
        var lex = Lexicon.Load(o.Lexicon);
        var reading = ScoreReading.Of(scores, set.N);
        var analyzer = new AttributionAnalyzer(set, lex) { TopK = o.TopK, Reading = reading };
        var trainKeys = GroupKeys.Build(
            set.Train.Select(t => t.Attributes).ToList(),
            train.Select(e => e.Length).ToList(),
            o.GroupBy
        );
        var queryKeys = GroupKeys.Build(
            set.Queries.Select(q => q.Attributes).ToList(),
            set.Queries.Select(_ => 0).ToList(),
            o.QueryGroupBy
        );
        var snippets = trainRows.Select(r => AttributionAnalyzer.Snippet(r.Fields)).ToList();
        // Every input is read and checked above: a bad one leaves no trace in --out.
        AnalysisFolder
            .Manifest(
                o,
                new AnalysisInputs { Scores = Fingerprint.Files([RunManifest.PathIn(o.Scores), scores.PairwisePath]) }
            )
            .Prepare(
                outDir,
                options.Overwrite,
                RunInput.Of(
                    ("--scores", o.Scores),
                    ("--train", o.Train),
                    ("--queries", o.Queries),
                    ("--model", modelDir),
                    ("--lexicon", o.Lexicon),
                    ("--lds", o.Lds)
                ),
                options.Progress
            );
        ProgressMeter.Note(options.Progress, "example-level tables");
        var result = new AnalysisResult
        {
            Reading = reading,
            Normalization = AttributionAnalyzer.NormalizationNote,
            TrainKeys = o.GroupBy,
            QueryKeys = o.QueryGroupBy,
            ExampleLevel = analyzer.ExampleLevel(queryKeys, trainKeys),
            TopExamples = analyzer.TopExamples(queryKeys, trainKeys, snippets),
        };
        if (set.PerToken is not null)
        {
            ProgressMeter.Note(options.Progress, "sequence- and token-level tables");
            var texts = train.Select(e => TrainingText.Build(e, tok)).ToList();
            var (tokens, cats) = analyzer.TokenLevel(queryKeys, texts);
            int hq = o.HeatmapQuery is null ? 0 : set.Queries.Select(q => q.Id).ToList().IndexOf(o.HeatmapQuery);
            if (hq < 0)
                throw InputError.Argument($"--heatmap-query '{o.HeatmapQuery}' is not a scored query id");
            var counterfactual = o.Counterfactual
                ? Counterfactual(
                    scoreArgs,
                    modelDir,
                    options,
                    tok,
                    trainRows,
                    texts,
                    queryRows,
                    analyzer,
                    queryKeys,
                    lex
                )
                : [];
            result = result with
            {
                SequenceLevel = analyzer.SequenceLevel(queryKeys, texts),
                TokenLevel = tokens,
                TokenCategories = cats,
                Counterfactual = counterfactual,
                Heatmaps = (set.Queries[hq].Id, analyzer.Heatmaps(hq, texts)),
            };
        }
        AnalysisWriter.WriteAll(outDir, result);
        HtmlReport.Write(
            Path.Combine(outDir, AnalysisFolder.ReportFile),
            result,
            o.Title,
            o.Lds is null ? [] : [LdsReport.Section(o.Lds)]
        );
        ProgressMeter.Note(options.Progress, $"wrote tables, summary.md and report.html to {outDir}");
        return result;
    }

    /// <summary>
    /// A row's example with its text and offsets: a pre-tokenized row that also carries messages is rendered
    /// again, and must give the same ids (else the scores would be credited to the wrong tokens).
    /// </summary>
    private static EncodedExample EncodeWithText(ExampleEncoder enc, DataRow row)
    {
        var stored = enc.Encode(row);
        if (stored.Text is not null || row.Fields["messages"] is null)
            return stored;
        var fields = (JsonObject)row.Fields.DeepClone();
        fields.Remove("input_ids");
        fields.Remove("labels");
        var rendered = enc.Encode(row with { Fields = fields });
        if (!rendered.InputIds.SequenceEqual(stored.InputIds))
            throw InputError.Data(
                $"{row.Where}: the stored input_ids differ from the rendered messages; cannot map tokens to text"
            );
        return rendered with { Labels = stored.Labels };
    }

    /// <summary>Rescoring with the exploratory steps cut out of the responses, with the scores' own settings and
    /// factors.</summary>
    private static List<CounterfactualRow> Counterfactual(
        ScoreRunArguments scoreArgs,
        string modelDir,
        RunOptions options,
        Tokenizer tok,
        List<DataRow> trainRows,
        List<TrainingText> texts,
        List<DataRow> queryRows,
        AttributionAnalyzer analyzer,
        string[] queryKeys,
        Lexicon lex
    )
    {
        if (scoreArgs.Strategy is StrategyKind b && BaselineScores.IsBaseline(b))
        {
            // A baseline's scores come from the rows alone (and BM25's from the whole corpus's statistics): there is
            // no gradient model of an edited row to rescore with.
            ProgressMeter.Note(options.Progress, $"counterfactual skipped: {EnumNames.Of(b)} is a baseline");
            return [];
        }
        if (scoreArgs.Factors is not null && !Directory.Exists(scoreArgs.Factors))
        {
            ProgressMeter.Note(
                options.Progress,
                "counterfactual skipped: the factors named in the scores' manifest are not available"
            );
            return [];
        }
        var edited = new List<int>();
        var editedRows = new List<DataRow>();
        for (int e = 0; e < texts.Count; e++)
        {
            var explore = texts[e].Steps.Where(s => lex.TagStep(s.Step.Text, s.Step.IsCode) == "exploration").ToList();
            if (explore.Count == 0 || trainRows[e].Fields["messages"] is not JsonArray msgs)
                continue;
            var fields = (JsonObject)trainRows[e].Fields.DeepClone();
            fields.Remove("input_ids");
            fields.Remove("labels"); // the edited text is encoded afresh
            var assistant = fields["messages"]!.AsArray().Last(m => m?["role"]?.ToString() == "assistant")!;
            string content = assistant["content"]!.ToString();
            foreach (var (step, _) in explore)
            {
                string span = texts[e].Text[step.Start..step.End];
                int at = content.IndexOf(span, StringComparison.Ordinal);
                if (at >= 0)
                    content = content.Remove(at, span.Length);
            }
            assistant["content"] = content;
            edited.Add(e);
            editedRows.Add(trainRows[e] with { Fields = fields });
        }
        if (edited.Count == 0)
            return [];
        ProgressMeter.Note(
            options.Progress,
            $"counterfactual: rescoring {edited.Count} training examples without their exploratory steps"
        );
        using var session = ScoringSession.Open(scoreArgs with { Model = modelDir }, options);
        var enc = new ExampleEncoder(tok, session.Model.EncodeOptions());
        var rescored = session.Score(
            queryRows.Select(enc.Encode).ToList(),
            editedRows.Select(enc.Encode).ToList(),
            options
        );
        return analyzer.Counterfactual(queryKeys, edited, rescored);
    }
}
