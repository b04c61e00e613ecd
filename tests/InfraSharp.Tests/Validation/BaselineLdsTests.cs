using InfraSharp.Influence;
using InfraSharp.Validation;

namespace InfraSharp.Tests.Validation;

/// <summary>The random baseline is the LDS's null: near zero on the ridge-regression check, for any seed.</summary>
public class BaselineLdsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(42)]
    public void RandomBaselineHasLdsNearZeroOnRidgeRegression(long seed)
    {
        var (exact, draws, measured) = LdsStatisticsTests.RidgeRegression(new Random(5));
        var random = RandomScores.Matrix(seed, exact.GetLength(0), exact.GetLength(1));
        var lds = LinearDatamodelingScore.Compute("random", random, draws, measured, seed: 1);
        Assert.True(Math.Abs(lds.Lds) < 0.1, $"LDS of the random baseline (seed {seed}) {lds.Lds}");
    }
}
