using InfraSharp.Models;
using InfraSharp.Text;
using static TorchSharp.torch;

namespace InfraSharp.Influence;

/// <summary>
/// Influence scores: score(q, e) = Σ over tracked modules of ⟨P(G_q), G_e⟩, where G is the gradient of the
/// example's loss (or of the query's measurement) with respect to the layer's weight and P the strategy's
/// preconditioner. Only the query side is preconditioned, once; training gradients stream through in
/// token-budgeted batches and are used as Σ_t g_t a_tᵀ, which also splits a score over the training tokens.
/// </summary>
internal sealed class InfluenceScorer(
    CausalLM model,
    TrackedModules modules,
    InfluenceStrategy strategy,
    IReadOnlyDictionary<string, ModuleFactors> factors,
    ScoreArguments args,
    int padId = 0
)
{
    /// <summary>Checked before every batch: a cancelled scorer stops between batches.</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Where query preparation reports its progress (none: silent).</summary>
    public IProgress<RunProgress>? Progress { get; init; }

    /// <summary>
    /// Preconditioned query gradients, a batch of queries at a time. At rank R each batch's matrices are factored
    /// as soon as they are formed (each query's factorisation is its own, seeded by the batch's first index), so
    /// that at most one batch of one module's full [n, out, in] matrices is resident, never all queries' of all
    /// modules; the mean over queries (<see cref="ScoreArguments.AggregateQueries"/>) needs them all first.
    /// </summary>
    public PreconditionedQueries PrepareQueries(IReadOnlyList<EncodedExample> queries)
    {
        if (queries.Count == 0)
            throw InputError.Argument("no query examples");
        bool factorEarly = args.QueryRank > 0 && !args.AggregateQueries;
        var full = modules.Names.ToDictionary(m => m, _ => new List<Tensor>());
        var lowRank = modules.Names.ToDictionary(m => m, _ => new List<(Tensor U, Tensor V)>());
        // Self-influence: per query, or (aggregated) of the mean gradient, whose sums over queries are kept here.
        var selfParts = new List<Tensor>();
        var gradientSums = new Dictionary<string, Tensor>();
        var progress = new ProgressMeter(Progress, "query gradients", queries.Count, "queries");
        int done = 0;
        foreach (var (s, n) in TokenBatches.Plan(queries, 0, queries.Count, args.TokensPerBatch))
        {
            Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var bg = BatchGradients.Compute(
                model,
                queries.Skip(s).Take(n).ToList(),
                modules.Names,
                measurement: args.Measurement,
                padId: padId,
                statistics: args.StatisticsDType
            );
            var self = zeros(n, dtype: ScalarType.Float32, device: model.Device);
            foreach (var m in modules.Names)
            {
                using var moduleScope = NewDisposeScope();
                var g = bg.PerExample(m);
                var p = strategy.Precondition(g, factors[m], args.Damping, args.Precision);
                var g32 = g.to(ScalarType.Float32);
                if (args.AggregateQueries)
                {
                    var sum = g32.sum(dim: 0);
                    gradientSums[m] = gradientSums.TryGetValue(m, out var before)
                        ? (before + sum).DetachFromDisposeScope()
                        : sum.DetachFromDisposeScope();
                    before?.Dispose();
                }
                else
                    self.add_((p * g32).sum([1L, 2L]));
                if (factorEarly)
                {
                    var (u, v) = RandomizedSvd.Factor(p, args.QueryRank, args.Seed + s);
                    lowRank[m].Add((u.DetachFromDisposeScope(), v.DetachFromDisposeScope()));
                }
                else
                    full[m].Add(p.DetachFromDisposeScope());
            }
            selfParts.Add(self.DetachFromDisposeScope());
            done += n;
            progress.Report(done);
        }
        Tensor querySelf;
        if (args.AggregateQueries)
        {
            foreach (var t in selfParts)
                t.Dispose();
            querySelf = zeros(1, dtype: ScalarType.Float32, device: model.Device);
        }
        else
        {
            querySelf = cat(selfParts, 0);
            foreach (var t in selfParts)
                t.Dispose();
        }
        var pq = new PreconditionedQueries { Count = args.AggregateQueries ? 1 : queries.Count, Self = querySelf };
        foreach (var m in modules.Names)
        {
            Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            if (factorEarly)
            {
                pq.LowRank[m] = (
                    cat(lowRank[m].Select(x => x.U).ToList(), 0).DetachFromDisposeScope(),
                    cat(lowRank[m].Select(x => x.V).ToList(), 0).DetachFromDisposeScope()
                );
                foreach (var (u, v) in lowRank[m])
                {
                    u.Dispose();
                    v.Dispose();
                }
                continue;
            }
            var all = cat(full[m], 0);
            foreach (var t in full[m])
                t.Dispose();
            if (args.AggregateQueries)
            {
                all = all.mean([0L], keepdim: true);
                // The mean's self-influence: ⟨P(mean G), mean G⟩, P being linear.
                var meanG = gradientSums[m] / queries.Count;
                gradientSums[m].Dispose();
                querySelf.add_((all[0] * meanG).sum().reshape(1));
            }
            if (args.QueryRank > 0)
            {
                var (u, v) = RandomizedSvd.Factor(all, args.QueryRank, args.Seed);
                pq.LowRank[m] = (u.DetachFromDisposeScope(), v.DetachFromDisposeScope());
            }
            else
                pq.Full[m] = all.DetachFromDisposeScope();
        }
        return pq;
    }

    /// <summary>Pairwise scores [Q, n] of training examples [start, start+n), and per-token scores [Q, n, T] when
    /// asked.</summary>
    public (Tensor Pairwise, Tensor? PerToken) ScoreTraining(
        PreconditionedQueries pq,
        IReadOnlyList<EncodedExample> train,
        int start,
        int end,
        int tokenWidth
    )
    {
        var pairwise = new List<Tensor>();
        var perToken = new List<Tensor>();
        foreach (var (s, n) in TokenBatches.Plan(train, start, end, args.TokensPerBatch))
        {
            Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var bg = BatchGradients.Compute(
                model,
                train.Skip(s).Take(n).ToList(),
                modules.Names,
                padId: padId,
                statistics: args.StatisticsDType
            );
            long t = bg.Mask.shape[1];
            Tensor pw = zeros(pq.Count, n, dtype: ScalarType.Float32, device: model.Device);
            Tensor? pt =
                args.PerToken || pq.IsLowRank
                    ? zeros(pq.Count, n, t, dtype: ScalarType.Float32, device: model.Device)
                    : null;
            foreach (var m in modules.Names)
            {
                // One module's temporaries at a time (its per-example gradients are [n, out, in]).
                using var moduleScope = NewDisposeScope();
                // Products with the float32 query side are float32; bfloat16 statistics only narrow the capture
                // and the per-example gradients.
                var a = bg.A[m].to(ScalarType.Float32);
                var g = bg.G[m].to(ScalarType.Float32);
                if (pq.IsLowRank)
                {
                    var (u, v) = pq.LowRank[m];
                    var gu = einsum("bto,qor->qbtr", g, u);
                    var av = einsum("bti,qir->qbtr", a, v);
                    pt!.add_((gu * av).sum([-1L]));
                }
                else
                {
                    var pg = pq.Full[m];
                    var ge = einsum("bto,bti->boi", bg.G[m], bg.A[m]).to(ScalarType.Float32);
                    pw.add_(matmul(pg.reshape(pq.Count, -1), ge.reshape(n, -1).transpose(0, 1)));
                    if (args.PerToken)
                    {
                        // Position t contributes g_tᵀ P(G_q) a_t: one matmul of all positions' inputs with a block
                        // of queries' preconditioned gradients, then a dot with the output gradients.
                        long bt = n * t,
                            outDim = pg.shape[1],
                            inDim = pg.shape[2];
                        // Project whichever side is wider onto the narrower one, so the intermediate is [bt, q, min(in,
                        // out)].
                        bool viaInputs = inDim <= outDim;
                        long narrow = Math.Min(inDim, outDim);
                        var wide = viaInputs ? g.reshape(bt, outDim) : a.reshape(bt, inDim);
                        var other = (viaInputs ? a.reshape(bt, 1, inDim) : g.reshape(bt, 1, outDim));
                        int block = (int)Math.Max(1, Math.Min(pq.Count, 16_000_000 / Math.Max(1, bt * narrow)));
                        for (int q0 = 0; q0 < pq.Count; q0 += block)
                        {
                            int qn = Math.Min(block, pq.Count - q0);
                            var pgb = pg.narrow(0, q0, qn);
                            // viaInputs: g·PG -> [bt, qn, in]; else a·PGᵀ -> [bt, qn, out].
                            var mat = viaInputs
                                ? pgb.permute(1, 0, 2).reshape(outDim, qn * inDim)
                                : pgb.permute(2, 0, 1).reshape(inDim, qn * outDim);
                            var projected = matmul(wide, mat).reshape(bt, qn, narrow);
                            var contrib = (projected * other).sum([-1L]); // [bt, qn]
                            pt!.narrow(0, q0, qn).add_(contrib.transpose(0, 1).reshape(qn, n, t));
                        }
                    }
                }
            }
            if (pq.IsLowRank)
                pw = pt!.sum([-1L]);
            pairwise.Add(pw.MoveToOuterDisposeScope());
            if (args.PerToken)
                perToken.Add(nn.functional.pad(pt!, [0, tokenWidth - t]).MoveToOuterDisposeScope());
        }
        var pwAll = cat(pairwise, 1);
        foreach (var x in pairwise)
            x.Dispose();
        Tensor? ptAll = null;
        if (args.PerToken)
        {
            ptAll = cat(perToken, 1);
            foreach (var x in perToken)
                x.Dispose();
        }
        return (pwAll, ptAll);
    }

    /// <summary>
    /// Self-influence ⟨P(G_e), G_e⟩ of examples [start, end), G_e the gradient of the arguments' measurement (the
    /// summed loss by default; for <see cref="Measurement.MeanLogProb"/> the mean log-likelihood's, whose sign cancels
    /// in the product): a query's self-influence as the score run stores it.
    /// </summary>
    public Tensor SelfScores(IReadOnlyList<EncodedExample> train, int start, int end)
    {
        var parts = new List<Tensor>();
        foreach (var (s, n) in TokenBatches.Plan(train, start, end, args.TokensPerBatch))
        {
            Cancellation.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var bg = BatchGradients.Compute(
                model,
                train.Skip(s).Take(n).ToList(),
                modules.Names,
                measurement: args.Measurement,
                padId: padId,
                statistics: args.StatisticsDType
            );
            var total = zeros(n, dtype: ScalarType.Float32, device: model.Device);
            foreach (var m in modules.Names)
            {
                using var moduleScope = NewDisposeScope();
                var ge = bg.PerExample(m);
                total.add_((strategy.Precondition(ge, factors[m], args.Damping, args.Precision) * ge).sum([1L, 2L]));
            }
            parts.Add(total.MoveToOuterDisposeScope());
        }
        var all = cat(parts, 0);
        foreach (var p in parts)
            p.Dispose();
        return all;
    }
}
