using System.Net;
using System.Text.Json.Nodes;
using InfraSharp.Explorer;
using InfraSharp.Influence;
using InfraSharp.Storage;

namespace InfraSharp.Tests.Explorer;

/// <summary>
/// Identity pairwise and per-token scores of the tiny Qwen2 fixture, computed once for the API tests.
/// </summary>
public sealed class FixtureScores
{
    public string Dir { get; }
    public string Train { get; } = Fixtures.Path_("tiny-qwen2", "train.jsonl");
    public string Queries { get; } = Fixtures.Path_("tiny-qwen2", "queries.jsonl");

    public FixtureScores()
    {
        Dir = Path.Combine(Fixtures.TempDir(), "scores");
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Fixtures.Model("tiny-qwen2"),
                Train = Train,
                Queries = Queries,
                Strategy = StrategyKind.Identity,
                Score = new ScoreArguments { PerToken = true, Measurement = Measurement.MeanLogProb },
            },
            Dir
        );
    }

    public double[,] Pairwise()
    {
        using var t = SafeTensorsFile
            .Open(Path.Combine(Dir, "pairwise.safetensors"))
            .Read("scores")
            .to(TorchSharp.torch.ScalarType.Float64);
        var flat = t.contiguous().data<double>().ToArray();
        var a = new double[t.shape[0], t.shape[1]];
        Buffer.BlockCopy(flat, 0, a, 0, flat.Length * 8);
        return a;
    }
}

/// <summary>
/// The explorer's JSON API in process: paging, filters, orderings against the scores file, bad parameters, tokens.
/// </summary>
public class ExplorerApiTests(FixtureScores scores) : IClassFixture<FixtureScores>
{
    private ExplorerOptions Options(string host = "127.0.0.1") =>
        new()
        {
            Scores = scores.Dir,
            Train = scores.Train,
            Queries = scores.Queries,
            Host = host,
            Port = 0,
        };

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> Get(HttpClient http, string path)
    {
        var r = await http.GetAsync(path);
        string text = await r.Content.ReadAsStringAsync();
        JsonNode? body = null;
        try
        {
            body = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException) { }
        return (r.StatusCode, body);
    }

    [Fact]
    public async Task PagesFiltersAndOrdersOnTheServer()
    {
        await using var server = await ExplorerServer.StartAsync(Options());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var pw = scores.Pairwise();

        // Pages of 3 cover the 8 queries once each, in file order.
        var seen = new List<string>();
        for (int page = 0; page < 3; page++)
        {
            var (status, body) = await Get(http, $"/api/queries?size=3&page={page}");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(8, body!["total"]!.GetValue<int>());
            seen.AddRange(body["items"]!.AsArray().Select(x => x!["id"]!.ToString()));
        }
        var ids = Fixtures.Jsonl(scores.Queries).Select(r => r["id"]!.ToString()).ToList();
        Assert.Equal(ids, seen);
        Assert.Empty((await Get(http, "/api/queries?size=3&page=5")).Body!["items"]!.AsArray());

        // Sorted by total influence: the row sums of the matrix, descending.
        var totals = (await Get(http, "/api/queries?size=8&sort=total")).Body!["items"]!
            .AsArray()
            .Select(x => x!["total"]!.GetValue<double>())
            .ToList();
        Assert.Equal(totals.OrderByDescending(x => x), totals);
        Assert.Equal(
            Enumerable.Range(0, 8).Select(q => Enumerable.Range(0, pw.GetLength(1)).Sum(j => pw[q, j])).Max(),
            totals[0],
            6
        );

        // Search and filters.
        var code = (await Get(http, "/api/queries?filter=domain=code")).Body!["items"]!.AsArray();
        Assert.NotEmpty(code);
        Assert.All(code, x => Assert.Equal("code", x!["attributes"]!["domain"]!.ToString()));

        // A query's proponents: the top-k of its row among the filtered training rows, in order.
        var train = Fixtures.Jsonl(scores.Train).ToList();
        var (s2, influence) = await Get(http, "/api/queries/2?k=5&filter=domain=code");
        Assert.Equal(HttpStatusCode.OK, s2);
        var expected = Enumerable
            .Range(0, train.Count)
            .Where(j => train[j]["domain"]!.ToString() == "code")
            .OrderByDescending(j => pw[2, j])
            .ThenBy(j => j)
            .Take(5)
            .Select(j => train[j]["id"]!.ToString());
        Assert.Equal(expected, influence!["proponents"]!.AsArray().Select(x => x!["id"]!.ToString()));
        var opponents = influence["opponents"]!.AsArray().Select(x => x!["score"]!.GetValue<double>()).ToList();
        Assert.Equal(opponents.Order(), opponents);

        // A training row's view: the queries it helps most, by its column.
        var helps = (await Get(http, "/api/train/7?k=3")).Body!["helps"]!
            .AsArray()
            .Select(x => x!["index"]!.GetValue<int>());
        Assert.Equal(Enumerable.Range(0, 8).OrderByDescending(q => pw[q, 7]).ThenBy(q => q).Take(3), helps);

        // Per-token scores: one per token of the row, summing to its pairwise score.
        var tokens = (await Get(http, "/api/queries/1/tokens/4")).Body!["tokens"]!.AsArray();
        double sum = tokens.Sum(x => x!["score"]?.GetValue<double>() ?? 0);
        Assert.Equal(pw[1, 4], sum, Math.Abs(pw[1, 4]) * 1e-3 + 1e-6);
    }

    [Theory]
    [InlineData("/api/queries?size=0", "size")]
    [InlineData("/api/queries?size=201", "size")]
    [InlineData("/api/queries?page=-1", "page")]
    [InlineData("/api/queries?page=two", "page")]
    [InlineData("/api/queries?sort=random", "sort")]
    [InlineData("/api/queries?filter=domain", "filter")]
    [InlineData("/api/queries/8", "query")]
    [InlineData("/api/queries/abc", "query")]
    [InlineData("/api/queries/0?k=0", "k")]
    [InlineData("/api/queries/0/tokens/100000", "training row")]
    [InlineData("/api/train/-1", "training row")]
    public async Task BadParametersAreClear400s(string path, string named)
    {
        await using var server = await ExplorerServer.StartAsync(Options());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var (status, body) = await Get(http, path);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        string error = body!["error"]!.ToString();
        Assert.Contains(named, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public async Task ScoringIsRefusedWithoutFactorsAndBadBodies()
    {
        await using var server = await ExplorerServer.StartAsync(Options());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var r = await http.PostAsync("/api/score", new StringContent("{\"prompt\":\"a\",\"answer\":\"b\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("--factors", await r.Content.ReadAsStringAsync());
        Assert.False((await Get(http, "/api/info")).Body!["scoring"]!.GetValue<bool>());
        // Read-only elsewhere: no other method is mapped.
        Assert.Equal(
            HttpStatusCode.MethodNotAllowed,
            (await http.PostAsync("/api/queries", new StringContent(""))).StatusCode
        );
    }

    [Fact]
    public async Task ViewAddressesServeThePageAndTheApiSaysHowToReadScores()
    {
        await using var server = await ExplorerServer.StartAsync(Options());
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        string page = await (await http.GetAsync("/")).Content.ReadAsStringAsync();
        foreach (var path in new[] { "/query/3", "/query/3/train/17", "/train/17", "/tables", "/answer" })
        {
            var r = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("text/html", r.Content.Headers.ContentType?.MediaType);
            Assert.Equal(page, await r.Content.ReadAsStringAsync());
        }
        // Only those: other paths are not the page, and the API keeps its own answers.
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/query")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/nothing/here")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Get(http, "/api/queries/999999")).Status);
        // The reading, from the manifest: a mean-logprob folder, its queries' self-influence stored.
        var info = (await Get(http, "/api/info")).Body!;
        Assert.Equal("mean-logprob", info["measurement"]!.GetValue<string>());
        Assert.Equal(ScoreReading.SignLine(Measurement.MeanLogProb), info["sign"]!.GetValue<string>());
        Assert.True(info["has_self"]!.GetValue<bool>());
        Assert.True(info["has_change"]!.GetValue<bool>());
        // A proponent's readings: score / the stored self-influence, score / n.
        var self = ScoreFiles.ReadQuerySelf(scores.Dir)!;
        var pw = scores.Pairwise();
        var top = (await Get(http, "/api/queries/1?k=3")).Body!["proponents"]![0]!;
        int t = top["index"]!.GetValue<int>();
        Assert.Equal(pw[1, t], top["score"]!.GetValue<double>());
        Assert.Equal(pw[1, t] / self[1], top["relative"]!.GetValue<double>(), 1e-12);
        Assert.Equal(pw[1, t] / pw.GetLength(1), top["change"]!.GetValue<double>(), 1e-15);
    }

    [Fact]
    public async Task OffLoopbackEveryRequestNeedsTheToken()
    {
        await using var server = await ExplorerServer.StartAsync(Options(host: "0.0.0.0"));
        Assert.NotNull(server.Token);
        Assert.Equal(32, server.Token!.Length);
        int port = new Uri(server.Url).Port;
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/queries")).StatusCode);
        Assert.Equal(
            HttpStatusCode.Unauthorized,
            (await http.GetAsync("/api/queries?token=" + new string('0', 32))).StatusCode
        );
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/queries?token=" + server.Token)).StatusCode);
        var req = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        req.Headers.Add("X-Infra-Token", server.Token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(req)).StatusCode);
        // A valid token in the URL sets a cookie, so the page's own assets load without one in their URLs.
        using var jar = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        };
        Assert.Equal(HttpStatusCode.Unauthorized, (await jar.GetAsync("/app.js")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await jar.GetAsync("/?token=" + server.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await jar.GetAsync("/app.js")).StatusCode);
        // On loopback none is needed, but a request addressed to another host name (DNS rebinding) is refused.
        await using var local = await ExplorerServer.StartAsync(Options());
        Assert.Null(local.Token);
        using var direct = new HttpClient { BaseAddress = new Uri(local.Url) };
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/queries");
        rebound.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.BadRequest, (await direct.SendAsync(rebound)).StatusCode);
    }

    [Fact]
    public async Task ScoringRunsOneAtATime()
    {
        string factors = Path.Combine(Fixtures.TempDir(), "factors");
        FactorRun.Run(
            new FactorRunArguments
            {
                Model = Fixtures.Model("tiny-qwen2"),
                Data = scores.Train,
                Fit = new FactorArguments { Strategy = StrategyKind.Ekfac, Modules = ModuleSelection.Mlp },
            },
            factors
        );
        await using var server = await ExplorerServer.StartAsync(Options() with { Factors = factors });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        StringContent Body() =>
            new(
                "{\"prompt\":\"Write a Python function `square(x)`.\",\"answer\":\"return x * x\"}",
                System.Text.Encoding.UTF8,
                "application/json"
            );
        var first = await http.PostAsync("/api/score", Body());
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var second = await http.PostAsync("/api/score", Body());
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        JsonNode? state;
        do
        {
            await Task.Delay(200);
            state = (await Get(http, "/api/score")).Body;
        } while (state!["state"]!.ToString() == "running");
        Assert.Equal("done", state["state"]!.ToString());
        Assert.Equal(1, state["run"]!.GetValue<int>());
        Assert.Equal(10, state["proponents"]!.AsArray().Count);
        var top = state["proponents"]!.AsArray().Select(x => x!["score"]!.GetValue<double>()).ToList();
        Assert.Equal(top.OrderByDescending(x => x), top);
    }

    [Fact]
    public async Task ScoringThroughTheGradientIndexMatchesAnIndexQuery()
    {
        string root = Fixtures.TempDir(),
            index = Path.Combine(root, "index");
        InfraSharp.Index.IndexBuildRun.Run(
            new InfraSharp.Index.IndexBuildRunArguments
            {
                Train = scores.Train,
                Index = new InfraSharp.Index.IndexArguments { Model = Fixtures.Model("tiny-qwen2") },
            },
            index
        );
        await using var server = await ExplorerServer.StartAsync(Options() with { Index = index });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        const string Prompt = "Write a Python function `square(x)`.",
            Answer = "return x * x";
        var body = new JsonObject { ["prompt"] = Prompt, ["answer"] = Answer }.ToJsonString();
        var started = await http.PostAsync(
            "/api/score",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json")
        );
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        JsonNode? state;
        do
        {
            await Task.Delay(200);
            state = (await Get(http, "/api/score")).Body;
        } while (state!["state"]!.ToString() == "running");
        Assert.True(state["state"]!.ToString() == "done", state.ToJsonString());

        // The same prompt and answer through infra index query: the same top 10, in order.
        string input = Path.Combine(root, "new.jsonl"),
            outDir = Path.Combine(root, "query");
        File.WriteAllText(
            input,
            new JsonObject
            {
                ["id"] = "new-answer",
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = Prompt },
                    new JsonObject { ["role"] = "assistant", ["content"] = Answer }
                ),
            }.ToJsonString() + "\n"
        );
        InfraSharp.Index.IndexQueryRun.Run(
            new InfraSharp.Index.IndexQueryRunArguments
            {
                Index = index,
                Queries = input,
                TopK = 10,
                Measurement = Measurement.MeanLogProb,
            },
            outDir
        );
        var expected = Fixtures.Jsonl(Path.Combine(outDir, "top.jsonl")).Single()["top_ids"]!
            .AsArray()
            .Select(x => x!.ToString());
        Assert.Equal(expected, state["proponents"]!.AsArray().Select(x => x!["id"]!.ToString()));
    }

    [Fact]
    public async Task ScoringTakesJsonOnly()
    {
        await using var server = await ExplorerServer.StartAsync(
            Options() with
            {
                Factors = Path.Combine(scores.Dir, "none"),
            }
        );
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        // A cross-site form or text/plain post needs no preflight; it is refused before anything runs.
        var text = await http.PostAsync("/api/score", new StringContent("{\"prompt\":\"a\",\"answer\":\"b\"}"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        var empty = await http.PostAsync(
            "/api/score",
            new StringContent("{\"prompt\":\"\"}", System.Text.Encoding.UTF8, "application/json")
        );
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Equal("idle", (await Get(http, "/api/score")).Body!["state"]!.ToString());
    }
}
