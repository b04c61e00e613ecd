using System.Text.Json.Nodes;
using InfraSharp.Influence;
using InfraSharp.Storage;
using static TorchSharp.torch;

namespace InfraSharp.Attribution;

/// <summary>The influence engine's outputs, as plain arrays: pairwise [Q, N], per-token [Q, N, T] when present, and
/// both sides' ids and attributes.</summary>
public sealed record ScoreSet(
    double[,] Pairwise,
    float[,,]? PerToken,
    IReadOnlyList<(string Id, JsonObject Attributes)> Queries,
    IReadOnlyList<(string Id, JsonObject Attributes)> Train
)
{
    /// <summary>Number of queries (rows of <see cref="Pairwise"/>).</summary>
    public int Q => Pairwise.GetLength(0);

    /// <summary>Number of training examples (columns of <see cref="Pairwise"/>).</summary>
    public int N => Pairwise.GetLength(1);

    /// <summary>
    /// Reads a finished pairwise score folder: its scores, per-token scores when written, and both sides' examples.
    /// </summary>
    public static ScoreSet Load(string dir)
    {
        var (queries, train) = ScoreFiles.ReadExamples(dir);
        string pw = Path.Combine(dir, ScoreFolder.PairwiseFile);
        if (!File.Exists(pw))
            throw InputError.MissingFile(
                $"{dir}: no {ScoreFolder.PairwiseFile} (run infra scores pairwise, and merge partitions)",
                pw
            );
        using var scope = NewDisposeScope();
        var p = SafeTensorsFile.Open(pw).Read(ScoreFolder.ScoresTensor).to(ScalarType.Float64);
        if (p.shape[1] != train.Count)
            throw InputError.Data(
                $"{pw}: {p.shape[1]} columns, but {train.Count} training rows in {ScoreFolder.ExamplesFile}"
            );
        var pairwise = ToArray2(p);
        if (p.shape[0] == 1 && queries.Count != 1)
            queries = [("aggregate", new JsonObject { ["domain"] = "all" })];
        float[,,]? perToken = null;
        string pt = Path.Combine(dir, ScoreFolder.PerTokenFile);
        if (File.Exists(pt))
        {
            var t = SafeTensorsFile.Open(pt).Read(ScoreFolder.ScoresTensor).contiguous();
            var flat = t.data<float>().ToArray();
            perToken = new float[t.shape[0], t.shape[1], t.shape[2]];
            Buffer.BlockCopy(flat, 0, perToken, 0, flat.Length * 4);
        }
        return new ScoreSet(pairwise, perToken, queries, train);
    }

    private static double[,] ToArray2(Tensor t)
    {
        var flat = t.contiguous().data<double>().ToArray();
        var a = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, a, 0, flat.Length * 8);
        return a;
    }
}
