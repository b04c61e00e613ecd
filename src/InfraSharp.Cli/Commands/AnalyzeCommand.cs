using System.CommandLine;
using InfraSharp.Reporting;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra analyze</c>: example, sequence and token level attribution, tables and report.html.</summary>
public static class AnalyzeCommand
{
    /// <summary><see cref="AnalysisRunArguments"/> paths to flags: a validation message names what was typed.</summary>
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["scores"] = "--scores",
        ["train"] = "--train",
        ["queries"] = "--queries",
        ["group_by"] = "--group-by",
        ["query_group_by"] = "--query-group-by",
        ["lexicon"] = "--lexicon",
        ["model"] = "--model",
        ["top_k"] = "--top-k",
        ["heatmap_query"] = "--heatmap-query",
        ["counterfactual"] = "--no-counterfactual",
        ["lds"] = "--lds",
    };

    public static Command Build()
    {
        var scores = CliOptions.Path("--scores", "Score folder (pairwise, and per-token when present)");
        var train = CliOptions.Path("--train", "The training rows that were scored");
        var queries = CliOptions.Path("--queries", "The query rows that were scored");
        var output = CliOptions.Path("--out", "Output folder: CSV/Parquet tables, summary.md, report.html");
        var groupBy = new Option<string>("--group-by")
        {
            DefaultValueFactory = _ => "domain,difficulty",
            Description = "Training attributes to group by (any row field, or length_bucket)",
        };
        var qGroupBy = new Option<string>("--query-group-by")
        {
            DefaultValueFactory = _ => "domain",
            Description = "Query attributes to group by",
        };
        var lexicon = CliOptions.OptionalPath(
            "--lexicon",
            "JSON lexicon of step tags and token categories (default built in)"
        );
        var model = CliOptions.OptionalPath(
            "--model",
            "Model/tokenizer folder (default: the one in the scores' manifest)"
        );
        var topK = CliOptions.Int("--top-k", "Proponents and opponents kept per query", 5);
        var heat = new Option<string?>("--heatmap-query")
        {
            Description = "Query id whose most influential training examples get token heatmaps",
        };
        var noCf = new Option<bool>("--no-counterfactual")
        {
            Description = "Skip rescoring the examples without their exploratory steps",
        };
        var lds = CliOptions.OptionalPath(
            "--lds",
            "An infra validate lds folder whose table and scatterplots the report includes"
        );
        var overwrite = CliOptions.Overwrite();
        var device = CliOptions.Device();
        var cmd = new Command(
            "analyze",
            "Influence by data attribute, reasoning step and token; writes tables and a self-contained report.html."
        )
        {
            scores,
            train,
            queries,
            output,
            groupBy,
            qGroupBy,
            lexicon,
            model,
            topK,
            heat,
            noCf,
            lds,
            overwrite,
            device,
        };
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var r = AnalysisRun.Run(
                        new AnalysisRunArguments
                        {
                            Scores = p.GetValue(scores)!,
                            Train = p.GetValue(train)!,
                            Queries = p.GetValue(queries)!,
                            GroupBy = Split(p.GetValue(groupBy)!),
                            QueryGroupBy = Split(p.GetValue(qGroupBy)!),
                            Lexicon = p.GetValue(lexicon),
                            Model = p.GetValue(model),
                            TopK = p.GetValue(topK),
                            HeatmapQuery = p.GetValue(heat),
                            Counterfactual = !p.GetValue(noCf),
                            Lds = p.GetValue(lds),
                        },
                        p.GetValue(output)!,
                        CliRunner.Options with
                        {
                            Overwrite = p.GetValue(overwrite),
                            Device = p.GetValue(device)!,
                        }
                    );
                    Console.WriteLine(AnalysisWriter.CrossTableMarkdown(r));
                    return 0;
                },
                flags: Flags
            )
        );
        return cmd;
    }

    private static string[] Split(string s) =>
        s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
