using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>
/// What a query's score measures. <see cref="Loss"/>: the query's summed next-token loss (kronfluence's
/// convention). <see cref="MeanLogProb"/>: the mean log-likelihood of the query's reference tokens, the Infra
/// paper's f(θ). In both, a positive score means up-weighting the training example improves the query
/// (lowers its loss, raises its likelihood).
/// </summary>
public enum Measurement
{
    /// <summary>The query's summed next-token loss (a positive score: up-weighting the example lowers it).</summary>
    [JsonStringEnumMemberName("loss")]
    Loss,

    /// <summary>
    /// The mean log-likelihood of the query's reference tokens (a positive score: up-weighting the example raises it).
    /// </summary>
    [JsonStringEnumMemberName("mean-logprob")]
    MeanLogProb,
}
