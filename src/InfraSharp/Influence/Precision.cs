using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The dtype of the eigenbasis rotations in the preconditioner: float32 (kronfluence's precondition dtype), or
/// float64 for exactness checks. Manifests spell it <c>Float32</c>/<c>Float64</c> (as they did TorchSharp's
/// ScalarType, which this replaces at the API edge); the CLI, <c>float32</c>/<c>float64</c>.
/// </summary>
public enum Precision
{
    Float32,
    Float64,
}

public static class Precisions
{
    public static ScalarType ToScalarType(this Precision p) =>
        p == Precision.Float64 ? ScalarType.Float64 : ScalarType.Float32;
}
