using System.Text.Json.Serialization;

namespace InfraSharp.Influence;

/// <summary>
/// Which labels the Fisher (covariances, eigenvalue corrections) is built from: the data's own labels
/// (empirical Fisher), or labels sampled from the model's predictive distribution (true Fisher, seeded).
/// </summary>
public enum FisherMode
{
    /// <summary>Gradients of the loss on the data's own labels.</summary>
    [JsonStringEnumMemberName("empirical")]
    Empirical,

    /// <summary>Gradients of the loss on labels sampled from the model's predictive distribution (seeded).</summary>
    [JsonStringEnumMemberName("sampled")]
    Sampled,
}
