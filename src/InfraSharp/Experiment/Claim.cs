using System.Text.Json.Serialization;

namespace InfraSharp.Experiment;

/// <summary>What this run's measurement says of one of the paper's findings.</summary>
public enum ClaimVerdict
{
    /// <summary>The 95% CI lies on the finding's side of zero.</summary>
    [JsonStringEnumMemberName("holds")]
    Holds,

    /// <summary>The 95% CI lies on the other side of zero.</summary>
    [JsonStringEnumMemberName("contradicted")]
    Contradicted,

    /// <summary>The 95% CI spans zero (or, for retrained accuracy, fewer than 3 seeds were run).</summary>
    [JsonStringEnumMemberName("can't tell")]
    CantTell,
}

/// <summary>
/// One of the Infra paper's findings with the number this run measured for it, oriented so that a positive value
/// supports the finding, its 95% CI, and the verdict that CI gives.
/// </summary>
/// <param name="Finding">The finding as the paper states it.</param>
/// <param name="Measure">What was measured, and on which rows and queries.</param>
/// <param name="Estimate">The measured value (positive supports the finding).</param>
/// <param name="CiLow">Lower end of its 95% CI.</param>
/// <param name="CiHigh">Upper end of its 95% CI.</param>
/// <param name="Verdict">holds (CI above 0), contradicted (below), can't tell (spans 0).</param>
/// <param name="Note">Why a verdict is "can't tell" without looking at the CI, or empty.</param>
public sealed record Claim(
    string Finding,
    string Measure,
    double Estimate,
    double CiLow,
    double CiHigh,
    ClaimVerdict Verdict,
    string Note = ""
)
{
    /// <summary>The verdict a CI gives: above zero holds, below zero contradicts, across zero (or NaN) can't tell.
    /// </summary>
    public static ClaimVerdict From(double low, double high) =>
        low > 0 ? ClaimVerdict.Holds
        : high < 0 ? ClaimVerdict.Contradicted
        : ClaimVerdict.CantTell;

    /// <summary>A finding this run could not measure (no rows, no per-token scores, not retrained): why, no value.
    /// </summary>
    public static Claim Unmeasured(string finding, string measure, string why) =>
        new(finding, measure, double.NaN, double.NaN, double.NaN, ClaimVerdict.CantTell, why);

    /// <summary>The verdict as <c>claims.md</c> writes it.</summary>
    public string VerdictText =>
        Verdict switch
        {
            ClaimVerdict.Holds => "holds",
            ClaimVerdict.Contradicted => "contradicted",
            _ => "can't tell",
        };
}
