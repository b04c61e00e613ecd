using System.Globalization;

namespace InfraSharp.Influence;

/// <summary>
/// How a score folder's numbers are read, from its manifest: what a positive score means for the measurement they
/// were computed with, and the readings shown beside the raw score.
/// <para>
/// Raw: score(q, i) = Σ_modules ⟨P(G_q), G_i⟩, G_q the gradient of the query's measurement as the code forms it
/// (the summed loss for <see cref="Measurement.Loss"/>; the mean negative log-likelihood of the answer, −f, for
/// <see cref="Measurement.MeanLogProb"/>), G_i the training row's summed-loss gradient and P the damped inverse of the
/// factors' curvature H (a per-row average: λ is the mean over rows of the squared rotated gradients).
/// </para>
/// <para>
/// × self: score(q, i) / self(q), self(q) = ⟨P(G_q), G_q⟩ = ∇f_qᵀ H⁻¹ ∇f_q (the sign of G_q cancels),
/// what <c>infra scores self --measurement M</c> gives for the query. Dimensionless in the query's measurement, so
/// comparable across queries: 1 means the row moves the query's measurement as much as a training row whose gradient
/// were the query's own would.
/// </para>
/// <para>
/// Δ (mean-logprob only): with R(θ) = (1/n) Σ_j L_j(θ), raising row i's weight by ε moves the optimum by
/// Δθ ≈ −ε H⁻¹ ∇L_i, so Δf ≈ ∇fᵀ Δθ = −ε ∇fᵀ H⁻¹ ∇L_i = ε · score
/// (the code's G_q is −∇f). For ε = 1/n:
/// Δ ≈ score / n, in nats per answer token, n the training rows scored.
/// </para>
/// </summary>
public sealed record ScoreReading
{
    /// <summary>What the scores measure (from the manifest).</summary>
    public required Measurement Measurement { get; init; }

    /// <summary>n: the training rows scored (the 1/n of the predicted change).</summary>
    public required int TrainCount { get; init; }

    /// <summary>Each query's self-influence; null for a folder written before it was stored.</summary>
    public IReadOnlyList<double>? QuerySelf { get; init; }

    /// <summary>Why there is no normalised reading when <see cref="QuerySelf"/> is null (said in
    /// <see cref="Readings"/>).</summary>
    public string NoSelfReason { get; init; } =
        "this score folder has no query self-influence (written before it was stored)";

    /// <summary>The reading of a score folder: its manifest's measurement and its stored self-influence.</summary>
    public static ScoreReading Of(ScoreFolder folder, int trainCount) =>
        new()
        {
            Measurement = folder.Measurement,
            TrainCount = trainCount,
            QuerySelf = ScoreFiles.ReadQuerySelf(folder.Dir),
        };

    /// <summary>One short line: what a positive score means for <paramref name="measurement"/>.</summary>
    public static string SignLine(Measurement measurement) =>
        measurement == Measurement.MeanLogProb
            ? "Positive: up-weighting the training row raises the mean log-likelihood of the query's answer (helps); "
                + "negative: lowers it."
            : "Positive: up-weighting the training row lowers the query's loss (helps); negative: raises it.";

    /// <summary>This folder's sign line.</summary>
    public string Sign => SignLine(Measurement);

    /// <summary>Whether the normalised reading (× self) is available.</summary>
    public bool HasSelf => QuerySelf is not null;

    /// <summary>Whether the predicted change (Δ) applies: mean-logprob scores only.</summary>
    public bool HasChange => Measurement == Measurement.MeanLogProb && TrainCount > 0;

    /// <summary>score / self(q); null without a stored (positive) self-influence.</summary>
    public double? RelativeToSelf(int query, double score) =>
        QuerySelf is { } s && query < s.Count ? Relative(score, s[query]) : null;

    /// <summary>score / self; null without a positive self-influence (none stored, or a zero gradient).</summary>
    public static double? Relative(double score, double? self) => self is > 0 ? score / self : null;

    /// <summary>Query <paramref name="query"/>'s self-influence, or null where none is stored.</summary>
    public double? SelfOf(int query) => QuerySelf is { } s && query < s.Count ? s[query] : null;

    /// <summary>The measurement as the CLI and the manifest spell it.</summary>
    public string MeasurementName => Measurement == Measurement.MeanLogProb ? "mean-logprob" : "loss";

    /// <summary>score / n: first-order change of the answer's mean log-likelihood (mean-logprob only).</summary>
    public double? Change(double score) => HasChange ? score / TrainCount : null;

    /// <summary>Which readings are shown, and how each is computed, in one line.</summary>
    public string Readings
    {
        get
        {
            string self = HasSelf
                ? "× self = score / the query's self-influence (comparable across queries)"
                : $"no normalised reading: {NoSelfReason}, so raw scores only";
            string change = HasChange
                ? string.Create(
                    CultureInfo.InvariantCulture,
                    $"; Δ = score / {TrainCount}: first-order change of the answer's mean log-likelihood (nats per "
                        + $"token) when the row's weight rises by 1/{TrainCount}"
                )
                : "";
            return $"raw score; {self}{change}";
        }
    }
}
