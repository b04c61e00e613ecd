using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>
/// Which labels the Fisher (covariances, eigenvalue corrections) is built from: the data's own labels
/// (empirical Fisher), or labels sampled from the model's predictive distribution (true Fisher, seeded).
/// </summary>
public enum FisherMode
{
    [JsonStringEnumMemberName("empirical")]
    Empirical,

    [JsonStringEnumMemberName("sampled")]
    Sampled,
}
