using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The dtype of the eigenbasis rotations in the preconditioner: float32 (kronfluence's precondition dtype), or
/// float64 for exactness checks. Manifests spell it <c>Float32</c>/<c>Float64</c> (as they did TorchSharp's
/// ScalarType, which this replaces at the API edge); the CLI, <c>float32</c>/<c>float64</c>.
/// </summary>
public enum Precision
{
    /// <summary>Single precision (the default).</summary>
    Float32,

    /// <summary>Double precision, for exactness checks.</summary>
    Float64,
}

/// <summary>Conversions of <see cref="Precision"/>.</summary>
public static class Precisions
{
    /// <summary>The TorchSharp scalar type of <paramref name="p"/>.</summary>
    public static ScalarType ToScalarType(this Precision p) =>
        p == Precision.Float64 ? ScalarType.Float64 : ScalarType.Float32;
}
