using System.CommandLine;
using InfraSharp.Attribution;
using InfraSharp.Curation;
using InfraSharp.Storage;
using InfraSharp.Text;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra curate</c>: the next training mix, by rule (flip-difficulty) or by measured influence.</summary>
public static class CurateCommand
{
    public static Command Build()
    {
        var data = new Option<string>("--data") { Required = true, Description = "Training rows to curate" };
        var output = new Option<string>("--out") { Required = true, Description = "Curated rows (JSONL, every field kept, plus 'weight')" };
        var strategy = new Option<string>("--strategy") { DefaultValueFactory = _ => "flip-difficulty", Description = "flip-difficulty | influence-top | attribute-influence" };
        var mode = new Option<string>("--mode") { DefaultValueFactory = _ => "replace", Description = "replace (draw rows) | weight (weight every row)" };
        var flip = new Option<string>("--flip") { DefaultValueFactory = _ => "math:up,code:down", Description = "flip-difficulty: direction per domain (up, down, keep)" };
        var strength = new Option<double>("--strength") { DefaultValueFactory = _ => 1.0, Description = "flip-difficulty: exponent of the level multipliers" };
        var scores = new Option<string?>("--scores") { Description = "influence-top: score folder of the target queries" };
        var fraction = new Option<double>("--fraction") { DefaultValueFactory = _ => 0.5, Description = "influence-top: fraction kept" };
        var analysis = new Option<string?>("--analysis") { Description = "attribute-influence: folder of infra analyze (example_level.csv)" };
        var temperature = new Option<double>("--temperature") { DefaultValueFactory = _ => 1.0, Description = "influence-top (weight) / attribute-influence: larger moves less" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "Seed of the draws" };
        var cmd = new Command("curate", "Reweight or reselect the SFT mix: flip task difficulty (the Infra rule), or follow measured influence.")
        { data, output, strategy, mode, flip, strength, scores, fraction, analysis, temperature, seed };
        cmd.SetAction(p => CliRunner.Run(() =>
        {
            var m = p.GetValue(mode) switch
            {
                "replace" => CurationMode.Replace, "weight" => CurationMode.Weight,
                var x => throw new ArgumentException($"--mode '{x}' must be replace or weight"),
            };
            var rows = DatasetReader.Read(p.GetValue(data)!).Select(r => r.Fields).ToList();
            if (rows.Count == 0) throw new ArgumentException($"{p.GetValue(data)}: the dataset is empty");
            var result = p.GetValue(strategy) switch
            {
                "flip-difficulty" => FlipDifficulty.Apply(rows, m, p.GetValue(flip)!, p.GetValue(strength), p.GetValue(seed)),
                "influence-top" => InfluenceTop.Apply(rows, ScoreSet.Load(p.GetValue(scores) ?? throw new ArgumentException("influence-top needs --scores")),
                    p.GetValue(fraction), m, p.GetValue(temperature)),
                "attribute-influence" => AttributeInfluence.Apply(rows, p.GetValue(analysis) ?? throw new ArgumentException("attribute-influence needs --analysis"),
                    m, p.GetValue(temperature), p.GetValue(seed)),
                var x => throw new ArgumentException($"--strategy '{x}' must be flip-difficulty, influence-top or attribute-influence"),
            };
            JsonlFile.Write(p.GetValue(output)!, result.Rows);
            Console.WriteLine(result.Summary);
            return 0;
        }));
        return cmd;
    }
}
