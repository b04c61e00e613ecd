using InfraSharp.Explorer;
using InfraSharp.Influence;
using InfraSharp.Storage;
using PuppeteerSharp;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Explorer;

/// <summary>
/// The explorer's addresses and readings in a real browser (Debian's headless chromium, as
/// <see cref="ExplorerBrowserTests"/>): every view opens from its own URL and comes back with Back/Forward, the
/// token stays in the URL off loopback, the heatmap's legend spans the row's per-token scores, and the sign line is
/// the one of the measurement in the score folder's manifest (both measurements). System tier: it needs chromium.
/// </summary>
[Trait("Category", "System")]
public class ExplorerAddressTests
{
    private const string Chromium = "/usr/bin/chromium";

    private static async Task<IBrowser> Launch()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: install Debian's chromium (.ci/run does)");
        return await Puppeteer.LaunchAsync(
            new LaunchOptions
            {
                Headless = true,
                ExecutablePath = Chromium,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            }
        );
    }

    private static Task<ExplorerServer> Start(string scores, string host = "127.0.0.1") =>
        ExplorerServer.StartAsync(
            new ExplorerOptions
            {
                Scores = scores,
                Train = FixtureAnalysis.Train,
                Queries = FixtureAnalysis.Queries,
                Host = host,
                Port = 0,
            }
        );

    /// <summary>A page opened at <paramref name="url"/>, ready, recording console errors and page errors.</summary>
    private static async Task<(IPage Page, List<string> Problems)> Open(IBrowser browser, string url)
    {
        var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = 1200, Height = 900 });
        var problems = new List<string>();
        page.Console += (_, e) =>
        {
            if (e.Message.Type == ConsoleType.Error)
                problems.Add("console: " + e.Message.Text);
        };
        page.PageError += (_, e) => problems.Add("page error: " + e.Message);
        await page.GoToAsync(url);
        await page.WaitForSelectorAsync("body[data-ready=true]");
        return (page, problems);
    }

    private static async Task<string[]> Ids(IPage page, string list) =>
        await page.EvaluateFunctionAsync<string[]>(
            $"() => [...document.querySelectorAll('#{list} > li')].map(li => li.dataset.id)"
        );

    private static Task<string> Path_(IPage page) => page.EvaluateExpressionAsync<string>("location.pathname");

    private static Task<bool> Visible(IPage page, string view) =>
        page.EvaluateExpressionAsync<bool>($"!document.getElementById('view-{view}').hidden");

    private static double[] Row(string file, int q)
    {
        using var t = SafeTensorsFile.Open(file).Read("scores");
        return t[q].to(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    private static string[] TrainIds => [.. Fixtures.Jsonl(FixtureAnalysis.Train).Select(r => r["id"]!.ToString())];

    private static IEnumerable<string> Top(double[] row, int k) =>
        Enumerable.Range(0, row.Length).OrderByDescending(j => row[j]).ThenBy(j => j).Take(k).Select(j => TrainIds[j]);

    [Fact]
    public async Task EveryViewOpensFromItsOwnAddress()
    {
        string scores = FixtureAnalysis.Scores;
        await using var server = await Start(scores);
        await using var browser = await Launch();
        string root = server.Url.TrimEnd('/');
        var row = Row(Path.Combine(scores, "pairwise.safetensors"), 1);

        // A query's address, opened directly: its proponents, the top 10 of its row of the scores file.
        var (page, problems) = await Open(browser, root + "/query/1");
        Assert.True(await Visible(page, "query"));
        Assert.Equal(Top(row, 10), await Ids(page, "proponents"));

        // The token heatmap of its first proponent, opened directly: the legend's ends are the row's lowest and
        // highest per-token scores (over the row's tokens), as the per-token file holds them.
        int t = Array.IndexOf(TrainIds, Top(row, 1).Single());
        var (heat, heatProblems) = await Open(browser, $"{root}/query/1/train/{t}");
        await heat.WaitForSelectorAsync("#heatmap-legend:not([hidden])");
        int tokens = await heat.EvaluateExpressionAsync<int>("document.querySelectorAll('#heatmap span.tok').length");
        float[] perToken;
        using (var pt = SafeTensorsFile.Open(Path.Combine(scores, "per_token.safetensors")).Read("scores"))
            perToken = pt[1, t, ..tokens].contiguous().data<float>().ToArray();
        double lo = double.Parse(
                await heat.EvaluateExpressionAsync<string>("document.getElementById('legend-min').dataset.value"),
                System.Globalization.CultureInfo.InvariantCulture
            ),
            hi = double.Parse(
                await heat.EvaluateExpressionAsync<string>("document.getElementById('legend-max').dataset.value"),
                System.Globalization.CultureInfo.InvariantCulture
            );
        Assert.Equal(perToken.Min(), lo);
        Assert.Equal(perToken.Max(), hi);
        Assert.True(lo < 0 && hi > 0, $"the fixture row should have tokens of both signs ({lo}, {hi})");
        // The legend's labels show the same values (4 significant digits).
        Assert.Equal(
            lo.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),
            double.Parse(
                    await heat.EvaluateExpressionAsync<string>("document.getElementById('legend-min').textContent"),
                    System.Globalization.CultureInfo.InvariantCulture
                )
                .ToString("G4", System.Globalization.CultureInfo.InvariantCulture)
        );

        // A training row, the tables and the new-answer form, each from its address.
        var (train, trainProblems) = await Open(browser, $"{root}/train/{t}");
        Assert.True(await Visible(train, "train"));
        Assert.Equal(
            TrainIds[t],
            await train.EvaluateExpressionAsync<string>("document.getElementById('train-id').textContent")
        );
        var (tables, tableProblems) = await Open(browser, root + "/tables");
        await tables.WaitForSelectorAsync("#tables table");
        Assert.True(await Visible(tables, "tables"));
        var (answer, answerProblems) = await Open(browser, root + "/answer");
        Assert.True(await Visible(answer, "new"));
        var all = problems.Concat(heatProblems).Concat(trainProblems).Concat(tableProblems).Concat(answerProblems);
        Assert.True(!all.Any(), string.Join("; ", all));
    }

    [Fact]
    public async Task BackAndForwardRestoreTheViews()
    {
        await using var server = await Start(FixtureAnalysis.Scores);
        await using var browser = await Launch();
        var (page, problems) = await Open(browser, server.Url);
        Assert.True(await Visible(page, "queries"));
        string first = (await Ids(page, "query-list"))[0];

        await page.ClickAsync("#query-list > li:nth-child(2) .query-link");
        await page.WaitForSelectorAsync("#view-query:not([hidden]) #proponents > li");
        Assert.Equal("/query/1", await Path_(page));
        // Into a training row, then Back twice: the query, then the list (with its rows).
        await page.ClickAsync("#proponents > li:first-child .row-link");
        await page.WaitForSelectorAsync("#view-train:not([hidden]) #helps > li");
        Assert.StartsWith("/train/", await Path_(page));
        await page.GoBackAsync();
        await page.WaitForSelectorAsync("#view-query:not([hidden])");
        Assert.Equal("/query/1", await Path_(page));
        await page.GoBackAsync();
        await page.WaitForSelectorAsync("#view-queries:not([hidden])");
        Assert.Equal("/", await Path_(page));
        Assert.Equal(first, (await Ids(page, "query-list"))[0]);
        // Forward: the query again, with its proponents.
        await page.GoForwardAsync();
        await page.WaitForSelectorAsync("#view-query:not([hidden]) #proponents > li");
        Assert.Equal(
            Top(Row(Path.Combine(FixtureAnalysis.Scores, "pairwise.safetensors"), 1), 10),
            await Ids(page, "proponents")
        );
        // The nav buttons change the address too.
        await page.ClickAsync("#nav-tables");
        await page.WaitForSelectorAsync("#view-tables:not([hidden])");
        Assert.Equal("/tables", await Path_(page));
        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    [Fact]
    public async Task OffLoopbackTheTokenStaysInTheAddress()
    {
        await using var server = await Start(FixtureAnalysis.Scores, host: "0.0.0.0");
        int port = new Uri(server.Url).Port;
        await using var browser = await Launch();
        string root = $"http://127.0.0.1:{port}";
        // A query's address with the token, opened directly (a colleague's link).
        var (page, problems) = await Open(browser, $"{root}/query/2?token={server.Token}");
        Assert.True(await Visible(page, "query"));
        string search = await page.EvaluateExpressionAsync<string>("location.search");
        Assert.Equal("?token=" + server.Token, search);
        // Navigating keeps it, and every link in the page carries it.
        await page.ClickAsync("#proponents > li:first-child .row-link");
        await page.WaitForSelectorAsync("#view-train:not([hidden]) #helps > li");
        Assert.Equal("?token=" + server.Token, await page.EvaluateExpressionAsync<string>("location.search"));
        Assert.True(
            await page.EvaluateExpressionAsync<bool>(
                $"[...document.querySelectorAll('a.row-link')].every(a => a.href.endsWith('?token={server.Token}'))"
            )
        );
        // Without the token (a fresh context: no cookie from the visit above) the address is refused.
        await using var fresh = await browser.CreateBrowserContextAsync();
        var bare = await fresh.NewPageAsync();
        var response = await bare.GoToAsync($"{root}/query/2");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.Status);
        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }

    [Theory]
    [InlineData("mean-logprob")]
    [InlineData("loss")]
    public async Task EverySignLineIsTheManifestsMeasurements(string measurement)
    {
        string scores = measurement == "loss" ? FixtureAnalysis.LossScores : FixtureAnalysis.Scores;
        var folder = ScoreFolder.Open(scores);
        string expected = ScoreReading.SignLine(folder.Measurement);
        await using var server = await Start(scores);
        await using var browser = await Launch();
        var (page, problems) = await Open(browser, server.Url.TrimEnd('/') + "/query/0");
        var lines = await page.EvaluateFunctionAsync<string[]>(
            "() => [...document.querySelectorAll('.sign-line')].map(p => p.textContent)"
        );
        // One per view that shows scores: queries, query, training row, tables, new answer.
        Assert.Equal(5, lines.Length);
        Assert.All(lines, l => Assert.Equal(expected, l));
        string visible = await page.EvaluateExpressionAsync<string>(
            "document.querySelector('#view-query .sign-line').innerText"
        );
        Assert.Equal(expected, visible);
        if (measurement == "loss")
        {
            Assert.Contains("loss", expected);
            Assert.DoesNotContain("likelihood", expected);
        }
        else
        {
            Assert.Contains("log-likelihood", expected);
            Assert.DoesNotContain("loss", expected);
        }
        // The readings beside each proponent: × self is the raw score over the stored self-influence, and Δ (only
        // for mean-logprob) the raw score over the training rows.
        var self = SafeTensorsFile
            .Open(Path.Combine(scores, ScoreFolder.QuerySelfFile))
            .Read("scores")[0]
            .to(ScalarType.Float64)
            .item<double>();
        var cells = await page.EvaluateFunctionAsync<double?[][]>(
            "() => [...document.querySelectorAll('#proponents > li')].map(li => {"
                + " const r = li.querySelector('.reading'), n = (x) => x === undefined ? null : +x;"
                + " return [+li.dataset.score, n(r.dataset.relative), n(r.dataset.change)]; })"
        );
        Assert.NotEmpty(cells);
        foreach (var c in cells)
        {
            double score = c[0]!.Value;
            Assert.Equal(score / self, c[1]!.Value, Math.Abs(score / self) * 1e-9);
            if (measurement == "loss")
                Assert.Null(c[2]);
            else
                Assert.Equal(score / TrainIds.Length, c[2]!.Value, Math.Abs(score) * 1e-12);
        }
        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }
}
