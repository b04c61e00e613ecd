using System.Text.Json.Nodes;
using InfraSharp.Attribution;
using InfraSharp.Evaluation;
using InfraSharp.Experiment;
using InfraSharp.Influence;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Experiment;

/// <summary>
/// claims.md: each finding's number and CI computed as stated (a two-group bootstrap of the influence contrast, the
/// paired accuracy difference), and each verdict following its CI: holds above 0, contradicted below, can't tell
/// across 0 or under 3 seeds.
/// </summary>
public class PaperClaimsTests
{
    /// <summary>
    /// 100 training rows per domain (20 per level) and a math and a code query; row e's score on both queries is
    /// <paramref name="score"/>(domain, level, e).
    /// </summary>
    private static ScoreSet Scores(Func<string, int, int, double> score)
    {
        var train = new List<(string, JsonObject)>();
        foreach (var d in new[] { "math", "code" })
            for (int l = 1; l <= 5; l++)
            for (int i = 0; i < 20; i++)
                train.Add(($"{d}-{l}-{i}", new JsonObject { ["domain"] = d, ["difficulty"] = l }));
        var queries = new List<(string, JsonObject)>
        {
            ("q-math", new JsonObject { ["domain"] = "math" }),
            ("q-code", new JsonObject { ["domain"] = "code" }),
        };
        var p = new double[2, train.Count];
        for (int e = 0; e < train.Count; e++)
        {
            var a = train[e].Item2;
            double v = score(a["domain"]!.ToString(), a["difficulty"]!.GetValue<int>(), e);
            p[0, e] = p[1, e] = v;
        }
        return new ScoreSet(p, null, queries, train);
    }

    private static AnalysisResult NoTables() =>
        new()
        {
            Reading = new ScoreReading { Measurement = Measurement.MeanLogProb, TrainCount = 200 },
            Normalization = "",
            TrainKeys = ["domain", "difficulty"],
            QueryKeys = ["domain"],
            ExampleLevel = [],
            TopExamples = [],
        };

    [Fact]
    public void TheInfluenceContrastIsTheDifferenceOfGroupMeansWithItsVerdict()
    {
        // Math rows score their level plus a little noise; code rows score 6 - level.
        double Noise(int e) => ((e * 7919) % 11 - 5) / 50.0;
        var set = Scores((d, l, e) => (d == "math" ? l : 6 - l) + Noise(e));
        var an = new AttributionAnalyzer(set, Lexicon.Load(null));
        var hard = Enumerable.Range(0, 100).Where(e => e % 100 >= 60).Select(e => an.Normalized(0, e)).Average();
        var easy = Enumerable.Range(0, 100).Where(e => e % 100 < 40).Select(e => an.Normalized(0, e)).Average();
        var c = PaperClaims.Contrast(set, "math", [4, 5], [1, 2], "math", "hard math helps math", 1);
        Assert.Equal(hard - easy, c.Estimate, 12);
        Assert.True(c.CiLow > 0 && c.CiLow < c.Estimate && c.Estimate < c.CiHigh);
        Assert.Equal(ClaimVerdict.Holds, c.Verdict);
        // Easy code helps code: the code rows' contrast the other way round holds too; hard code would contradict.
        Assert.Equal(ClaimVerdict.Holds, PaperClaims.Contrast(set, "code", [1, 2], [4, 5], "code", "", 1).Verdict);
        Assert.Equal(
            ClaimVerdict.Contradicted,
            PaperClaims.Contrast(set, "code", [4, 5], [1, 2], "code", "", 1).Verdict
        );
        // The same scores at every level: a CI across zero.
        var flat = Scores((_, _, e) => 1 + Noise(e));
        var none = PaperClaims.Contrast(flat, "math", [4, 5], [1, 2], "math", "", 1);
        Assert.True(none.CiLow < 0 && none.CiHigh > 0);
        Assert.Equal(ClaimVerdict.CantTell, none.Verdict);
    }

    [Fact]
    public void TheDifferenceIntervalIsTheBootstrapOfTwoMeans()
    {
        var (d, lo, hi) = PaperClaims.DifferenceInterval([1, 2, 3, 4], [0, 0, 0, 0], 5, 20000);
        Assert.Equal(2.5, d, 12);
        // Resampling the first group alone: its mean's bootstrap sd is sqrt(1.25 / 4) ~ 0.56.
        Assert.InRange(lo, 1.3, 1.8);
        Assert.InRange(hi, 3.2, 3.7);
    }

    private static List<SampleResult> Graded(string domain, int correct) =>
        Enumerable
            .Range(0, 100)
            .Select(i => new SampleResult($"{domain}{i}", 0, domain, "1", "", null, i < correct, ""))
            .ToList();

    private static List<BeforeAfterComparison.Row> Flip(int seeds, int mathGain, int codeGain)
    {
        var runs = new List<BeforeAfterComparison.Run>();
        for (int s = 0; s < seeds; s++)
        {
            runs.Add(new("random", s, [.. Graded("math", 40), .. Graded("code", 40)]));
            runs.Add(new("flip-difficulty", s, [.. Graded("math", 40 + mathGain), .. Graded("code", 40 + codeGain)]));
        }
        return BeforeAfterComparison.Compare(runs, ["random"], 2);
    }

    [Fact]
    public void EveryVerdictInClaimsMdFollowsItsCi()
    {
        var set = Scores((d, l, e) => (d == "math" ? l : 6 - l) + (e % 3) / 10.0);
        // Three seeds: the flip gains 30 math points (holds) and loses 30 code points (contradicted).
        var claims = PaperClaims.Measure(set, NoTables(), Flip(3, 30, -30), "flip-difficulty", "random");
        Assert.Equal(9, claims.Count);
        foreach (var c in claims.Where(c => c.Note.Length == 0))
            Assert.Equal(Claim.From(c.CiLow, c.CiHigh), c.Verdict);
        var math = claims.Single(c => c.Finding.Contains("improves math"));
        var code = claims.Single(c => c.Finding.Contains("improves code"));
        Assert.Equal((0.3, ClaimVerdict.Holds), (Math.Round(math.Estimate, 12), math.Verdict));
        Assert.Equal((-0.3, ClaimVerdict.Contradicted), (Math.Round(code.Estimate, 12), code.Verdict));
        // Without per-token tables the step and token claims can't tell, and say why.
        Assert.All(claims.Where(c => c.Finding.Contains("steps") || c.Finding.Contains("token")), c =>
            Assert.Equal((ClaimVerdict.CantTell, true), (c.Verdict, c.Note.Length > 0))
        );
        // claims.md carries each claim's verdict on its own line.
        var lines = PaperClaims.Markdown(claims).Split('\n');
        foreach (var c in claims)
            Assert.Contains(lines, l => l.StartsWith($"| {c.Finding} |") && l.Contains($"| {c.VerdictText}"));
        // One seed: the same gain can't tell.
        var one = PaperClaims.Measure(set, NoTables(), Flip(1, 30, -30), "flip-difficulty", "random");
        Assert.All(one.Where(c => c.Finding.Contains("Flipping")), c => Assert.Equal(ClaimVerdict.CantTell, c.Verdict));
    }
}
