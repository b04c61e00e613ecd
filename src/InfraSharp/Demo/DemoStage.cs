namespace InfraSharp.Demo;

/// <summary>
/// A finished step of a demo, as its journal records it: how long it took when it ran (a resumed demo prints these
/// times, not the moments it took to reuse the step), for the original model its held-out loss before and after, and
/// for a retraining the fingerprint of the mix it trained on (a mix selected differently since is not reused).
/// </summary>
internal sealed record DemoStage(double Seconds, double? HeldOutLossBefore = null, double? HeldOutLossAfter = null)
{
    /// <summary>A retraining's mix fingerprint; null for other steps, and then not written.</summary>
    [System.Text.Json.Serialization.JsonIgnore(
        Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull
    )]
    public string? Data { get; init; }
}
