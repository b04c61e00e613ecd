namespace InfraSharp.Demo;

/// <summary>
/// A finished step of a demo, as its journal records it: how long it took when it ran (a resumed demo prints these
/// times, not the moments it took to reuse the step), and for the original model its held-out loss before and after.
/// </summary>
internal sealed record DemoStage(double Seconds, double? HeldOutLossBefore = null, double? HeldOutLossAfter = null);
