using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The fitted factors of one tracked Linear, each present only when the strategy needs it. Covariances and
/// lambdas are kept as sums with their counts, so that partitions merge by addition and the division happens
/// once, where they are used.
/// </summary>
internal sealed class ModuleFactors : IDisposable
{
    public required string Module { get; init; }
    public Tensor? ActivationCovarianceSum { get; set; }
    public Tensor? GradientCovarianceSum { get; set; }
    public long Tokens { get; set; }
    public Tensor? ActivationEigenvectors { get; set; }
    public Tensor? ActivationEigenvalues { get; set; }
    public Tensor? GradientEigenvectors { get; set; }
    public Tensor? GradientEigenvalues { get; set; }
    public Tensor? LambdaSum { get; set; }
    public long Examples { get; set; }

    public Tensor ActivationCovariance => ActivationCovarianceSum!.to(ScalarType.Float64) / Tokens;
    public Tensor GradientCovariance => GradientCovarianceSum!.to(ScalarType.Float64) / Tokens;
    public Tensor Lambda => LambdaSum!.to(ScalarType.Float64) / Examples;

    public void Dispose()
    {
        foreach (
            var t in new[]
            {
                ActivationCovarianceSum,
                GradientCovarianceSum,
                ActivationEigenvectors,
                ActivationEigenvalues,
                GradientEigenvectors,
                GradientEigenvalues,
                LambdaSum,
            }
        )
            t?.Dispose();
    }
}
