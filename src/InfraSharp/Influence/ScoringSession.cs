using System.Text.Json.Nodes;
using InfraSharp.Models;
using InfraSharp.Storage;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// A model with the factors, strategy and settings of a score run, opened once and kept: score query and training
/// examples given as objects, as often as needed, and get the matrix back, with no files in between.
/// <see cref="ScoreRun"/> scores its folders through it, the analysis rescores edited training examples with it,
/// and the explorer scores a typed answer against the training set with it.
/// </summary>
public sealed class ScoringSession : IDisposable
{
    private ScoringSession(
        LoadedModel model,
        InfluenceStrategy strategy,
        TrackedModules modules,
        FactorFolder? factors,
        IReadOnlyDictionary<string, ModuleFactors> moduleFactors,
        ScoreArguments settings
    )
    {
        Model = model;
        Strategy = strategy;
        Modules = modules;
        Factors = factors;
        ModuleFactors = moduleFactors;
        Settings = settings;
        _encoder = new ExampleEncoder(model.Tokenizer, model.EncodeOptions());
    }

    private readonly ExampleEncoder _encoder;
    private int _rows;

    /// <summary>The model (with its tokenizer and fingerprint).</summary>
    public LoadedModel Model { get; }

    /// <summary>How gradients are preconditioned: the arguments' strategy, else the factors'.</summary>
    public InfluenceStrategy Strategy { get; }

    /// <summary>The tracked modules: the factors' own, else every linear module.</summary>
    public TrackedModules Modules { get; }

    /// <summary>The factor folder the session scores with (null for a strategy that needs none).</summary>
    public FactorFolder? Factors { get; }

    /// <summary>How the session scores: measurement, damping, batch and chunk sizes.</summary>
    public ScoreArguments Settings { get; }

    /// <summary>Every module's factors (empty when opened without them: a run loads them per module group).</summary>
    internal IReadOnlyDictionary<string, ModuleFactors> ModuleFactors { get; }

    /// <summary>
    /// Loads the model and the factors of <paramref name="args"/> (checking that they belong together). The
    /// arguments' files (train, queries) are not read: examples are given to
    /// <see cref="Score(IReadOnlyList{EncodedExample}, IReadOnlyList{EncodedExample}, RunOptions?)"/>.
    /// </summary>
    /// <param name="args">The score run's arguments: model, factor folder, strategy and scoring settings.</param>
    /// <param name="options">The device the model is loaded onto, and progress and cancellation.</param>
    /// <param name="loadFactors">Off: the caller loads factors per module group (<see cref="ScoreRun"/>).</param>
    public static ScoringSession Open(ScoreRunArguments args, RunOptions? options = null, bool loadFactors = true)
    {
        options ??= new RunOptions();
        var lm = LoadedModel.Load(args.Model, args.DType, options.Device);
        try
        {
            var folder = args.Factors is null ? null : FactorRun.Open(args.Factors);
            if (folder is not null && folder.ModelFingerprint != lm.Fingerprint)
                throw InputError.Data(
                    $"--factors {folder.Dir}: these factors were fitted for another model ({folder.Arguments.Model}); "
                        + $"refit them for {args.Model}"
                );
            var strategy = InfluenceStrategy.Get(
                args.Strategy ?? folder?.Arguments.Fit.Strategy ?? StrategyKind.Identity
            );
            if (strategy.NeedsAnyFactor && folder is null)
                throw InputError.Argument($"strategy {strategy.Name} needs --factors");
            var modules = folder is null
                ? TrackedModules.Resolve(lm.Model.Config, ModuleSelection.All)
                : new TrackedModules(folder.Arguments.Fit.Modules, folder.Modules);
            var known = lm.Model.Config.LinearModuleNames().ToHashSet();
            foreach (var m in modules.Names)
                if (!known.Contains(m))
                    throw InputError.Data(
                        $"--factors {folder!.Dir}: module '{m}' of the factors does not exist in {args.Model}"
                    );
            var factors = loadFactors ? LoadFactors(folder, strategy, modules.Names, lm.Model.Device) : [];
            return new ScoringSession(lm, strategy, modules, folder, factors, args.Score);
        }
        catch
        {
            lm.Dispose();
            throw;
        }
    }

    /// <summary>The factors of <paramref name="names"/> (for a strategy without factors, empty ones).</summary>
    internal Dictionary<string, ModuleFactors> LoadFactors(IReadOnlyList<string> names) =>
        LoadFactors(Factors, Strategy, names, Model.Model.Device);

    private static Dictionary<string, ModuleFactors> LoadFactors(
        FactorFolder? folder,
        InfluenceStrategy strategy,
        IReadOnlyList<string> names,
        Device device
    ) =>
        strategy.NeedsAnyFactor
            ? FactorFitter.Load(folder!.Dir, names, strategy, device)
            : names.ToDictionary(m => m, m => new ModuleFactors { Module = m });

    /// <summary>
    /// A scorer over <paramref name="modules"/> (default: all the session's) with <paramref name="factors"/>
    /// (default: the session's), <paramref name="settings"/> (default: the session's) and the options' cancellation
    /// and progress.
    /// </summary>
    internal InfluenceScorer Scorer(
        ScoreArguments? settings = null,
        RunOptions? options = null,
        TrackedModules? modules = null,
        IReadOnlyDictionary<string, ModuleFactors>? factors = null
    ) =>
        new(Model.Model, modules ?? Modules, Strategy, factors ?? ModuleFactors, settings ?? Settings, Model.PadId)
        {
            Cancellation = options?.Cancellation ?? default,
            Progress = options?.Progress,
        };

    /// <summary>
    /// Encodes a row as the score run encodes a file's rows (<c>messages</c>, <c>prompt</c>/<c>response</c> or
    /// <c>text</c>, or given <c>input_ids</c>/<c>labels</c>); a row without an <c>id</c> gets one.
    /// </summary>
    public EncodedExample Encode(JsonObject row)
    {
        int n = Interlocked.Increment(ref _rows);
        return _encoder.Encode(new DataRow(row, "(in memory)", n));
    }

    /// <summary>Encodes every row (see <see cref="Encode(JsonObject)"/>).</summary>
    public List<EncodedExample> Encode(IEnumerable<JsonObject> rows) => rows.Select(Encode).ToList();

    /// <summary>
    /// Pairwise scores [queries, training examples] with the session's settings: the query gradients
    /// preconditioned once, the training examples scored in the score run's batches and chunks, so the numbers are
    /// those <see cref="ScoreRun"/> writes for the same examples.
    /// </summary>
    public double[,] Score(
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<EncodedExample> train,
        RunOptions? options = null
    ) => ScoreWithSelf(queries, train, options).Scores;

    /// <summary>
    /// <see cref="Score(IReadOnlyList{EncodedExample}, IReadOnlyList{EncodedExample}, RunOptions?)"/> with each
    /// query's self-influence (what the score run stores in <see cref="ScoreFolder.QuerySelfFile"/>).
    /// </summary>
    public (double[,] Scores, double[] QuerySelf) ScoreWithSelf(
        IReadOnlyList<EncodedExample> queries,
        IReadOnlyList<EncodedExample> train,
        RunOptions? options = null
    )
    {
        if (queries.Count == 0 || train.Count == 0)
            return (new double[queries.Count, train.Count], new double[queries.Count]);
        int longest = Math.Max(queries.Max(e => e.Length), train.Max(e => e.Length));
        var settings = Settings with { TokensPerBatch = Math.Max(Settings.TokensPerBatch, longest), PerToken = false };
        var scorer = Scorer(settings, options);
        using var pq = scorer.PrepareQueries(queries);
        var self = pq.Self.to(ScalarType.Float64).cpu().data<double>().ToArray();
        int width = train.Max(e => e.Length);
        var result = new double[pq.Count, train.Count];
        foreach (var (s, e) in TokenBatches.Chunks(train, 0, train.Count, settings.TokensPerBatch, settings.ChunkSize))
        {
            options?.Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var (pw, _) = scorer.ScoreTraining(pq, train, s, e, width);
            var block = pw.to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray();
            int cols = e - s;
            for (int q = 0; q < pq.Count; q++)
            for (int j = 0; j < cols; j++)
                result[q, s + j] = block[q * cols + j];
        }
        return (result, self);
    }

    /// <summary>Scores rows given as objects (see <see cref="Encode(JsonObject)"/>).</summary>
    public double[,] Score(
        IEnumerable<JsonObject> queries,
        IEnumerable<JsonObject> train,
        RunOptions? options = null
    ) => Score(Encode(queries), Encode(train), options);

    /// <summary>Frees the factors' and the model's tensors.</summary>
    public void Dispose()
    {
        foreach (var f in ModuleFactors.Values)
            f.Dispose();
        Model.Dispose();
    }
}
