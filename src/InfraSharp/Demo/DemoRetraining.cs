using InfraSharp.Evaluation;

namespace InfraSharp.Demo;

/// <summary>One model of the before/after table: its mix, seed, held-out accuracy and train + eval seconds.</summary>
public sealed record DemoRetraining(string Mix, int Seed, EvalSummary Summary, double Seconds);
