using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using InfraSharp.Index;
using InfraSharp.Influence;
using InfraSharp.Storage;

namespace InfraSharp.Explorer;

/// <summary>
/// "Which training data made this answer?" for a prompt and answer typed into the page: scored on the server with
/// the same settings as the score folder (a <see cref="ScoringSession"/> over the training set with the folder's
/// factors and score arguments, kept open between answers, or a query of the gradient index), one run at a time;
/// a second request while one runs is refused.
/// </summary>
internal sealed class NewAnswerScoring(ExplorerOptions options, ExplorerData data)
{
    private readonly object _gate = new();
    private JsonObject _state = new() { ["state"] = "idle" };
    private Stopwatch? _clock;
    private readonly CancellationTokenSource _stop = new();
    private Task _running = Task.CompletedTask;

    // One folder per server for the runs' temporary files, so that stopping can remove whatever a run left.
    private readonly string _temp = Path.Combine(Path.GetTempPath(), "infra-explore", Guid.NewGuid().ToString("N"));

    /// <summary>The folder that holds the runs' temporary files while the server runs.</summary>
    public string TempFolder => _temp;

    public bool Available => options.Factors is not null || options.Index is not null;

    public JsonObject State()
    {
        lock (_gate)
        {
            var s = (JsonObject)_state.DeepClone();
            if (_clock is not null)
                s["elapsed"] = Math.Round(_clock.Elapsed.TotalSeconds, 1);
            return s;
        }
    }

    private int _runs;

    /// <summary>
    /// Starts a run and returns its number (which the state carries); null when one is already running.
    /// </summary>
    public int? TryStart(string prompt, string answer, int k)
    {
        int run;
        lock (_gate)
        {
            if (_state["state"]?.ToString() == "running" || _stop.IsCancellationRequested)
                return null;
            run = ++_runs;
            _state = new JsonObject
            {
                ["state"] = "running",
                ["stage"] = "starting",
                ["run"] = run,
            };
            _clock = Stopwatch.StartNew();
        }
        lock (_gate)
            _running = Task.Run(() =>
            {
                try
                {
                    var result = Score(prompt, answer, k);
                    lock (_gate)
                    {
                        _state = result;
                        _state["state"] = "done";
                        _state["run"] = run;
                        _clock!.Stop();
                    }
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    lock (_gate)
                    {
                        _state = new JsonObject { ["state"] = "cancelled", ["run"] = run };
                        _clock!.Stop();
                    }
                }
                catch (Exception e)
                {
                    lock (_gate)
                    {
                        _state = new JsonObject
                        {
                            ["state"] = "failed",
                            ["error"] = e.Message.ReplaceLineEndings(" "),
                            ["run"] = run,
                        };
                        _clock!.Stop();
                    }
                }
            });
        return run;
    }

    /// <summary>
    /// Cancels a running scoring (it stops at its next batch), waits for it to finish and removes the temporary
    /// folder; later requests are refused.
    /// </summary>
    public void Stop(TimeSpan? wait = null)
    {
        _stop.Cancel();
        Task running;
        lock (_gate)
            running = _running;
        try
        {
            running.Wait(wait ?? TimeSpan.FromSeconds(30));
        }
        catch (AggregateException) { }
        if (running.IsCompleted)
            _session?.Dispose(); // else a scoring still inside libtorch holds it; the process is ending anyway
        try
        {
            if (Directory.Exists(_temp))
                Directory.Delete(_temp, recursive: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private void Stage(string stage)
    {
        lock (_gate)
            _state["stage"] = stage;
    }

    private JsonObject Score(string prompt, string answer, int k)
    {
        string dir = Path.Combine(_temp, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string queries = Path.Combine(dir, "query.jsonl");
            var row = new JsonObject
            {
                ["id"] = "new-answer",
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = prompt },
                    new JsonObject { ["role"] = "assistant", ["content"] = answer }
                ),
            };
            double[] scores;
            // The index has no self-influence of the query: its scores go without the normalised reading.
            double? self = null;
            if (options.Index is not null)
            {
                File.WriteAllText(queries, row.ToJsonString() + "\n");
                scores = FromIndex(queries, dir);
            }
            else
                (scores, self) = FromFactors(row);
            var q = new ExplorerQueries(data);
            var order = Enumerable.Range(0, scores.Length).ToList();
            return new JsonObject
            {
                ["self"] = self,
                ["proponents"] = q.Rows(
                    order.OrderByDescending(j => scores[j]).ThenBy(j => j).Take(k).Select(j => data.Train[j]),
                    t => scores[t.Index],
                    self
                ),
                ["opponents"] = q.Rows(
                    order.OrderBy(j => scores[j]).ThenBy(j => j).Take(k).Select(j => data.Train[j]),
                    t => scores[t.Index],
                    self
                ),
            };
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException) { }
        }
    }

    private ScoringSession? _session;
    private List<Text.EncodedExample>? _train;

    /// <summary>
    /// The new answer scored against the training set with the folder's own arguments (model, factors, measurement,
    /// damping), through a scoring session opened at the first request and kept: later answers reuse the loaded
    /// model, factors and encoded training set.
    /// </summary>
    private (double[] Scores, double Self) FromFactors(JsonObject query)
    {
        if (_session is null)
        {
            Stage("loading the model and factors");
            var saved = data.ScoreFolder.Arguments;
            var args = saved with
            {
                Model = data.ModelDir,
                Factors = options.Factors,
                Train = options.Train,
                Score = saved.Score with { PerToken = false, QueryRank = 0, AggregateQueries = false },
            };
            _session = ScoringSession.Open(args);
            _train = _session.Model.Encode(options.Train);
        }
        Stage("scoring the training set");
        var (scores, self) = _session.ScoreWithSelf(
            [_session.Encode(query)],
            _train!,
            new RunOptions { Cancellation = _stop.Token }
        );
        return (Enumerable.Range(0, scores.GetLength(1)).Select(j => scores[0, j]).ToArray(), self[0]);
    }

    private double[] FromIndex(string queries, string dir)
    {
        Stage("querying the index");
        IndexQueryRun.Run(
            new IndexQueryRunArguments
            {
                Index = options.Index!,
                Model = data.ModelDir,
                Queries = queries,
                FullScores = true,
                TopK = 1,
                Measurement = data.ScoreFolder.Measurement,
            },
            Path.Combine(dir, "index")
        );
        using var t = SafeTensorsFile
            .Open(Path.Combine(dir, "index", IndexQueryFolder.ScoresFile))
            .Read(IndexQueryFolder.ScoresTensor);
        using (var index = GradientIndex.Open(options.Index!))
            if (!index.Ids().SequenceEqual(data.Train.Select(x => x.Id)))
                throw InputError.Data(
                    $"--index {options.Index}: its rows are not the training rows of --train {options.Train}"
                );
        return t.to(TorchSharp.torch.ScalarType.Float64).contiguous().data<double>().ToArray();
    }
}
