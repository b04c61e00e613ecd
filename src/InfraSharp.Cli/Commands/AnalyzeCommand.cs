using System.CommandLine;
using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Influence;
using InfraSharp.Models;
using InfraSharp.Reporting;
using InfraSharp.Text;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra analyze</c>: example, sequence and token level attribution, tables and report.html.</summary>
public static class AnalyzeCommand
{
    public sealed record Options
    {
        public required string Scores { get; init; }
        public required string Train { get; init; }
        public required string Queries { get; init; }
        public required string Out { get; init; }
        public string[] GroupBy { get; init; } = ["domain", "difficulty"];
        public string[] QueryGroupBy { get; init; } = ["domain"];
        public string? Lexicon { get; init; }
        public string? Model { get; init; }
        public int TopK { get; init; } = 5;
        public string? HeatmapQuery { get; init; }
        public bool Counterfactual { get; init; } = true;
        public string Title { get; init; } = "InfraSharp influence report";
    }

    public static Command Build()
    {
        var scores = new Option<string>("--scores") { Required = true, Description = "Score folder (pairwise, and per-token when present)" };
        var train = new Option<string>("--train") { Required = true, Description = "The training rows that were scored" };
        var queries = new Option<string>("--queries") { Required = true, Description = "The query rows that were scored" };
        var output = new Option<string>("--out") { Required = true, Description = "Output folder: CSV/Parquet tables, summary.md, report.html" };
        var groupBy = new Option<string>("--group-by") { DefaultValueFactory = _ => "domain,difficulty", Description = "Training attributes to group by (any row field, or length_bucket)" };
        var qGroupBy = new Option<string>("--query-group-by") { DefaultValueFactory = _ => "domain", Description = "Query attributes to group by" };
        var lexicon = new Option<string?>("--lexicon") { Description = "JSON lexicon of step tags and token categories (default built in)" };
        var model = new Option<string?>("--model") { Description = "Model/tokenizer folder (default: the one in the scores' manifest)" };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 5, Description = "Proponents and opponents kept per query" };
        var heat = new Option<string?>("--heatmap-query") { Description = "Query id whose most influential training examples get token heatmaps" };
        var noCf = new Option<bool>("--no-counterfactual") { Description = "Skip rescoring the examples without their exploratory steps" };
        var cmd = new Command("analyze", "Influence by data attribute, reasoning step and token; writes tables and a self-contained report.html.")
        { scores, train, queries, output, groupBy, qGroupBy, lexicon, model, topK, heat, noCf };
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            var r = Run(new Options
            {
                Scores = p.GetValue(scores)!, Train = p.GetValue(train)!, Queries = p.GetValue(queries)!, Out = p.GetValue(output)!,
                GroupBy = Split(p.GetValue(groupBy)!), QueryGroupBy = Split(p.GetValue(qGroupBy)!), Lexicon = p.GetValue(lexicon),
                Model = p.GetValue(model), TopK = p.GetValue(topK), HeatmapQuery = p.GetValue(heat), Counterfactual = !p.GetValue(noCf),
            });
            Console.WriteLine(AnalysisWriter.CrossTableMarkdown(r));
            return 0;
        }));
        return cmd;
    }

    private static string[] Split(string s) => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public static AnalysisResult Run(Options o)
    {
        var set = ScoreSet.Load(o.Scores);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(o.Scores, "manifest.json")))!.AsObject();
        string modelDir = o.Model ?? manifest["model"]?["path"]?.ToString() ?? throw new ArgumentException("give --model (the scores' manifest names none)");
        var tok = Tokenizer.Load(modelDir);
        var enc = new ExampleEncoder(tok);
        var trainRows = DatasetReader.Read(o.Train).ToList();
        var train = trainRows.Select(r => EncodeWithText(enc, r)).ToList();
        if (train.Count != set.N || train.Select(e => e.Id).Where((id, i) => id != set.Train[i].Id).Any())
            throw new InvalidDataException($"{o.Train}: its {train.Count} rows are not the {set.N} training rows scored in {o.Scores}");
        var queryRows = DatasetReader.Read(o.Queries).ToList();
        if (set.Q > 1 && queryRows.Count != set.Q)
            throw new InvalidDataException($"{o.Queries}: its {queryRows.Count} rows are not the {set.Q} queries scored in {o.Scores}");

        var lex = Lexicon.Load(o.Lexicon);
        var analyzer = new AttributionAnalyzer(set, lex) { TopK = o.TopK };
        var trainKeys = GroupKeys.Build(set.Train.Select(t => t.Attributes).ToList(), train.Select(e => e.Length).ToList(), o.GroupBy);
        var queryKeys = GroupKeys.Build(set.Queries.Select(q => q.Attributes).ToList(), set.Queries.Select(_ => 0).ToList(), o.QueryGroupBy);
        var snippets = trainRows.Select(r => AttributionAnalyzer.Snippet(r.Fields)).ToList();
        ProgressLog.Line("example-level tables");
        var result = new AnalysisResult
        {
            Normalization = AttributionAnalyzer.NormalizationNote,
            TrainKeys = o.GroupBy, QueryKeys = o.QueryGroupBy,
            ExampleLevel = analyzer.ExampleLevel(queryKeys, trainKeys),
            TopExamples = analyzer.TopExamples(queryKeys, trainKeys, snippets),
        };
        if (set.PerToken is not null)
        {
            ProgressLog.Line("sequence- and token-level tables");
            var texts = train.Select(e => TrainingText.Build(e, tok)).ToList();
            var (tokens, cats) = analyzer.TokenLevel(queryKeys, texts);
            int hq = o.HeatmapQuery is null ? 0 : set.Queries.Select(q => q.Id).ToList().IndexOf(o.HeatmapQuery);
            if (hq < 0) throw new ArgumentException($"--heatmap-query '{o.HeatmapQuery}' is not a scored query id");
            var counterfactual = o.Counterfactual ? Counterfactual(o, manifest, modelDir, tok, trainRows, texts, queryRows, analyzer, queryKeys, lex) : [];
            result = result with
            {
                SequenceLevel = analyzer.SequenceLevel(queryKeys, texts),
                TokenLevel = tokens, TokenCategories = cats,
                Counterfactual = counterfactual,
                Heatmaps = (set.Queries[hq].Id, analyzer.Heatmaps(hq, texts)),
            };
        }
        AnalysisWriter.WriteAll(o.Out, result);
        HtmlReport.Write(Path.Combine(o.Out, "report.html"), result, o.Title);
        ProgressLog.Line($"wrote tables, summary.md and report.html to {o.Out}");
        return result;
    }

    /// <summary>
    /// A row's example with its text and offsets: a pre-tokenized row that also carries messages is rendered
    /// again, and must give the same ids (else the scores would be credited to the wrong tokens).
    /// </summary>
    private static EncodedExample EncodeWithText(ExampleEncoder enc, DataRow row)
    {
        var stored = enc.Encode(row);
        if (stored.Text is not null || row.Fields["messages"] is null) return stored;
        var fields = (JsonObject)row.Fields.DeepClone();
        fields.Remove("input_ids"); fields.Remove("labels");
        var rendered = enc.Encode(row with { Fields = fields });
        if (!rendered.InputIds.SequenceEqual(stored.InputIds))
            throw new InvalidDataException($"{row.Where}: the stored input_ids differ from the rendered messages; cannot map tokens to text");
        return rendered with { Labels = stored.Labels };
    }

    /// <summary>Rescoring with the exploratory steps cut out of the responses, with the scores' own settings.</summary>
    private static List<CounterfactualRow> Counterfactual(Options o, JsonObject manifest, string modelDir, Tokenizer tok, List<DataRow> trainRows,
        List<TrainingText> texts, List<DataRow> queryRows, AttributionAnalyzer analyzer, string[] queryKeys, Lexicon lex)
    {
        string? factorDir = manifest["factors"]?.ToString();
        var strategy = InfluenceStrategy.Get(manifest["strategy"]?.ToString() ?? "identity");
        if (strategy.NeedsAnyFactor && (factorDir is null || !Directory.Exists(factorDir)))
        {
            ProgressLog.Line("counterfactual skipped: the factors named in the scores' manifest are not available");
            return [];
        }
        var edited = new List<int>(); var editedRows = new List<DataRow>();
        for (int e = 0; e < texts.Count; e++)
        {
            var explore = texts[e].Steps.Where(s => lex.TagStep(s.Step.Text, s.Step.IsCode) == "exploration").ToList();
            if (explore.Count == 0 || trainRows[e].Fields["messages"] is not JsonArray msgs) continue;
            var fields = (JsonObject)trainRows[e].Fields.DeepClone();
            fields.Remove("input_ids"); fields.Remove("labels"); // the edited text is encoded afresh
            var assistant = fields["messages"]!.AsArray().Last(m => m?["role"]?.ToString() == "assistant")!;
            string content = assistant["content"]!.ToString();
            foreach (var (step, _) in explore)
            {
                string span = texts[e].Text[step.Start..step.End];
                int at = content.IndexOf(span, StringComparison.Ordinal);
                if (at >= 0) content = content.Remove(at, span.Length);
            }
            assistant["content"] = content;
            edited.Add(e);
            editedRows.Add(trainRows[e] with { Fields = fields });
        }
        if (edited.Count == 0) return [];
        ProgressLog.Line($"counterfactual: rescoring {edited.Count} training examples without their exploratory steps");
        using var lm = ModelLoader.Load(modelDir);
        var enc = new ExampleEncoder(tok, new EncodeOptions { MaxLength = lm.Config.MaxPositionEmbeddings });
        var mods = new TrackedModules("manifest", manifest["modules"]!.AsArray().Select(x => x!.ToString()).ToList());
        var factors = strategy.NeedsAnyFactor ? FactorFitter.Load(factorDir!, mods.Names, strategy) : mods.Names.ToDictionary(m => m, m => new ModuleFactors { Module = m });
        var args = new ScoreArguments
        {
            Damping = manifest["damping"] is JsonValue d && d.TryGetValue<double>(out var dv) ? dv : null,
            Measurement = manifest["measurement"]?.ToString() == "mean-logprob" ? Measurement.MeanLogProb : Measurement.Loss,
            AggregateQueries = manifest["aggregate_queries"]?.GetValue<bool>() ?? false,
            QueryRank = manifest["query_rank"]?.GetValue<int>() ?? 0,
        };
        var scorer = new InfluenceScorer(lm, mods, strategy, factors, args, tok.PadId ?? 0);
        using var pq = scorer.PrepareQueries(queryRows.Select(enc.Encode).ToList());
        var editedEx = editedRows.Select(enc.Encode).ToList();
        var (pw, _) = scorer.ScoreTraining(pq, editedEx, 0, editedEx.Count, editedEx.Max(e => e.Length));
        var flat = pw.to(TorchSharp.torch.ScalarType.Float64).contiguous().data<double>().ToArray();
        var rescored = new double[pw.shape[0], pw.shape[1]];
        Buffer.BlockCopy(flat, 0, rescored, 0, flat.Length * 8);
        return analyzer.Counterfactual(queryKeys, edited, rescored);
    }
}
