using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// The random baseline: independent N(0, 1) scores, seeded by the run's seed (<see cref="ScoreArguments.Seed"/>).
/// Each training example's column comes from its own stream (seed, index), so the file is identical however the
/// run is chunked, partitioned or resumed, and on any device; the generator (SplitMix64 and Box-Muller) is written
/// here so that no library version changes the numbers.
/// </summary>
internal sealed class RandomScores : BaselineScores
{
    public override StrategyKind Kind => StrategyKind.Random;

    public override IChunkScorer Prepare(
        LoadedModel model,
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<EncodedExample> train,
        ScoreArguments settings,
        RunOptions options
    ) => new Scorer(settings.Seed, queries.Count);

    /// <summary>Scores [queries, train] of a seed, as a run with that seed writes them (in double).</summary>
    public static double[,] Matrix(long seed, int queries, int train)
    {
        var m = new double[queries, train];
        for (int j = 0; j < train; j++)
        {
            var column = Column(seed, j, queries);
            for (int q = 0; q < queries; q++)
                m[q, j] = column[q];
        }
        return m;
    }

    /// <summary>The <paramref name="count"/> N(0, 1) scores of training example <paramref name="index"/>.</summary>
    public static double[] Column(long seed, int index, int count)
    {
        // One SplitMix64 stream per (seed, example), starting at a hash of both: streams that started at
        // neighbouring points would be shifted copies of each other (the stream adds a constant per draw).
        ulong s = (ulong)seed,
            h = Next(ref s);
        s = h ^ unchecked((ulong)index * 0xD1B54A32D192ED03UL);
        ulong state = Next(ref s);
        var z = new double[count];
        for (int q = 0; q < count; q++)
        {
            // Box-Muller on two uniforms in (0, 1] and [0, 1): log never sees 0.
            double u1 = 1.0 - Uniform(ref state),
                u2 = Uniform(ref state);
            z[q] = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
        return z;
    }

    private static double Uniform(ref ulong state) => (Next(ref state) >> 11) * (1.0 / (1UL << 53));

    private static ulong Next(ref ulong state)
    {
        unchecked
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private sealed class Scorer(long seed, int queries) : IChunkScorer
    {
        public Tensor Score(int start, int end)
        {
            int n = end - start;
            var data = new float[queries * n];
            for (int j = 0; j < n; j++)
            {
                var column = Column(seed, start + j, queries);
                for (int q = 0; q < queries; q++)
                    data[q * n + j] = (float)column[q];
            }
            return tensor(data, [queries, n]);
        }

        public void Dispose() { }
    }
}
