using System.CommandLine;
using InfraSharp.Curation;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra curate</c>: the next training mix, by rule (flip-difficulty) or by measured influence.</summary>
public static class CurateCommand
{
    /// <summary><see cref="CurationRunArguments"/> paths to flags: a validation message names what was typed.</summary>
    private static readonly Dictionary<string, string> Flags = new()
    {
        ["data"] = "--data",
        ["strategy"] = "--strategy",
        ["mode"] = "--mode",
        ["flip"] = "--flip",
        ["strength"] = "--strength",
        ["scores"] = "--scores",
        ["fraction"] = "--fraction",
        ["analysis"] = "--analysis",
        ["temperature"] = "--temperature",
        ["seed"] = "--seed",
        ["pool"] = "--pool",
        ["tokenizer"] = "--tokenizer",
    };

    public static Command Build()
    {
        var data = CliOptions.Path("--data", "Training rows to curate");
        var output = CliOptions.Path("--out", "Curated rows (JSONL, every field kept, plus 'weight')");
        var strategy = CliOptions.Enum("--strategy", "Curation strategy", CurationStrategy.FlipDifficulty);
        var mode = CliOptions.Enum("--mode", "replace (draw rows) or weight (weight every row)", CurationMode.Replace);
        var flip = CliOptions.Parsed(
            "--flip",
            "flip-difficulty: direction per domain (up, down, keep)",
            new CurationRunArguments { Data = "" }.Flip
        );
        var strength = CliOptions.Double(
            "--strength",
            "flip-difficulty: exponent of the level multipliers",
            1.0,
            0,
            exclusiveMin: true
        );
        var scores = CliOptions.OptionalPath("--scores", "influence-top: score folder of the target queries");
        var fraction = CliOptions.Double("--fraction", "influence-top: fraction kept", 0.5, 0, 1, exclusiveMin: true);
        var analysis = CliOptions.OptionalPath(
            "--analysis",
            "attribute-influence: folder of infra analyze (example_level.parquet)"
        );
        var temperature = CliOptions.Double(
            "--temperature",
            "influence-top (weight) / attribute-influence: larger moves less",
            1.0,
            0,
            exclusiveMin: true
        );
        var pool = CliOptions.OptionalPath(
            "--pool",
            "replace mode: select the mix from these rows without replacement, with the training set's row and "
                + "domain counts and its length within 2% (influence-top: scores computed with --train POOL)"
        );
        var tokenizer = CliOptions.OptionalPath(
            "--tokenizer",
            "with --pool: a model or tokenizer folder measuring the length budget in tokens (default: characters)"
        );
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0, Description = "Seed of the draws" };
        var overwrite = CliOptions.Overwrite();
        var cmd = new Command(
            "curate",
            "Reweight or reselect the SFT mix: flip task difficulty (the Infra rule), or follow measured influence."
        )
        {
            data,
            output,
            strategy,
            mode,
            flip,
            strength,
            scores,
            fraction,
            analysis,
            temperature,
            pool,
            tokenizer,
            seed,
            overwrite,
        };
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var result = CurationRun.Run(
                        new CurationRunArguments
                        {
                            Data = p.GetValue(data)!,
                            Strategy = p.GetValue(strategy),
                            Mode = p.GetValue(mode),
                            Flip = p.GetValue(flip),
                            Strength = p.GetValue(strength),
                            Scores = p.GetValue(scores),
                            Fraction = p.GetValue(fraction),
                            Analysis = p.GetValue(analysis),
                            Temperature = p.GetValue(temperature),
                            Pool = p.GetValue(pool),
                            Tokenizer = p.GetValue(tokenizer),
                            Seed = p.GetValue(seed),
                        },
                        p.GetValue(output)!,
                        CliRunner.Options with
                        {
                            Overwrite = p.GetValue(overwrite),
                        }
                    );
                    Console.WriteLine(result.Summary);
                    return 0;
                },
                flags: Flags
            )
        );
        return cmd;
    }
}
