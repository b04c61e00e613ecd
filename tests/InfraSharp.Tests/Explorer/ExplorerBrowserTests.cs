using System.Text.Json.Nodes;
using InfraSharp.Explorer;
using InfraSharp.Influence;
using InfraSharp.Storage;
using InfraSharp.Tests.Cli;
using PuppeteerSharp;
using static TorchSharp.torch;

namespace InfraSharp.Tests.Explorer;

/// <summary>
/// The explorer in a real browser: Debian's headless chromium driven over CDP, on the shared fixture scores
/// (<see cref="FixtureAnalysis"/>: math and code rows at five levels, laid out as the demo's outputs) and on a training
/// set with hostile rows. Screenshots of every view go to <c>artifacts/explorer</c> beside the test binary. System
/// tier: it needs chromium, and fails (never skips) where it is missing.
/// </summary>
[Trait("Category", "System")]
public class ExplorerBrowserTests
{
    private const string Chromium = "/usr/bin/chromium";
    public static readonly string Artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts", "explorer");

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

    /// <summary>
    /// A page that records dialogs and console errors; the body is marked ready once the first list is in.
    /// </summary>
    private static async Task<(IPage Page, List<string> Problems)> Open(IBrowser browser, string url, int width = 1200)
    {
        var page = await browser.NewPageAsync();
        await page.SetViewportAsync(new ViewPortOptions { Width = width, Height = 900 });
        var problems = new List<string>();
        page.Dialog += async (_, e) =>
        {
            problems.Add("dialog: " + e.Dialog.Message);
            await e.Dialog.Dismiss();
        };
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

    private static async Task Shot(IPage page, string name)
    {
        Directory.CreateDirectory(Artifacts);
        await page.ScreenshotAsync(Path.Combine(Artifacts, name + ".png"), new ScreenshotOptions { FullPage = true });
    }

    private static async Task<string[]> Ids(IPage page, string list) =>
        await page.EvaluateFunctionAsync<string[]>(
            $"() => [...document.querySelectorAll('#{list} > li')]" + ".map(li => li.dataset.id)"
        );

    private static double[] Row(string file, int q)
    {
        using var t = SafeTensorsFile.Open(file).Read("scores");
        return t[q].to(ScalarType.Float64).contiguous().data<double>().ToArray();
    }

    [Fact]
    public async Task ViewsMatchTheScoreFiles()
    {
        string scores = FixtureAnalysis.Scores,
            factors = FixtureAnalysis.Factors;
        string train = FixtureAnalysis.Train,
            queries = FixtureAnalysis.Queries;
        await using var server = await ExplorerServer.StartAsync(
            new ExplorerOptions
            {
                Scores = scores,
                Train = train,
                Queries = queries,
                Factors = factors,
                Port = 0,
            }
        );
        await using var browser = await Launch();
        var (page, problems) = await Open(browser, server.Url);
        await Shot(page, "1-queries");
        var trainIds = Fixtures.Jsonl(train).Select(r => r["id"]!.ToString()).ToArray();
        var domains = Fixtures.Jsonl(train).Select(r => r["domain"]!.ToString()).ToArray();

        // Pick the second query: its proponents are the top 10 of its row of the scores file, in order.
        await page.ClickAsync("#query-list > li:nth-child(2) .query-link");
        await page.WaitForSelectorAsync("#proponents > li");
        await Shot(page, "2-query");
        var row = Row(Path.Combine(scores, "pairwise.safetensors"), 1);
        var top = Enumerable
            .Range(0, row.Length)
            .OrderByDescending(j => row[j])
            .ThenBy(j => j)
            .Take(10)
            .Select(j => trainIds[j]);
        Assert.Equal(top, await Ids(page, "proponents"));
        var bottom = Enumerable
            .Range(0, row.Length)
            .OrderBy(j => row[j])
            .ThenBy(j => j)
            .Take(10)
            .Select(j => trainIds[j]);
        Assert.Equal(bottom, await Ids(page, "opponents"));

        // The first proponent's heatmap: hovering its strongest token shows that token's per-token score.
        await page.ClickAsync("#proponents > li:first-child .tokens-button");
        await page.WaitForSelectorAsync("#heatmap span[data-score]");
        int best = await page.EvaluateFunctionAsync<int>(
            "() => { let b = null; for (const s of document.querySelectorAll('#heatmap span[data-score]')) "
                + "if (!b || Math.abs(+s.dataset.score) > Math.abs(+b.dataset.score)) b = s; return +b.dataset.index; }"
        );
        await page.HoverAsync($"#heatmap span[data-index='{best}']");
        await page.WaitForSelectorAsync("#tip:not([hidden])");
        double shown = double.Parse(
            await page.EvaluateExpressionAsync<string>("document.getElementById('tip').textContent"),
            System.Globalization.CultureInfo.InvariantCulture
        );
        int t = Array.IndexOf(trainIds, top.First());
        using (var pt = SafeTensorsFile.Open(Path.Combine(scores, "per_token.safetensors")).Read("scores"))
            Assert.Equal(pt[1, t, best].item<float>(), shown, Math.Abs(shown) * 1e-6);
        await Shot(page, "3-heatmap");

        // Filtering the training rows by domain=code leaves only code rows; unfiltered, the lists hold other rows
        // too (this math query's are all math), so the filter has something to remove.
        Assert.Contains(top.Concat(bottom), id => domains[Array.IndexOf(trainIds, id)] != "code");
        await page.SelectAsync("#train-filter", "domain=code");
        await page.WaitForFunctionAsync(
            "() => [...document.querySelectorAll('#proponents .attrs')]"
                + ".every(a => a.textContent.includes('domain=code'))"
        );
        foreach (var id in (await Ids(page, "proponents")).Concat(await Ids(page, "opponents")))
            Assert.Equal("code", domains[Array.IndexOf(trainIds, id)]);

        // A training row's view: the queries it helps.
        await page.ClickAsync("#proponents > li:first-child .row-link");
        await page.WaitForSelectorAsync("#view-train:not([hidden]) #helps > li");
        await Shot(page, "4-train");

        // The attribute tables.
        await page.ClickAsync("#nav-tables");
        await page.WaitForSelectorAsync("#tables table");
        await Shot(page, "5-tables");

        // A new prompt and answer: the same top 5 as infra scores pairwise on the same input.
        var query = Fixtures.Jsonl(queries).First();
        string prompt = query["messages"]![0]!["content"]!.ToString(),
            answer = query["messages"]![1]!["content"]!.ToString();
        await page.ClickAsync("#nav-new");
        await page.TypeAsync("#new-prompt", prompt);
        await page.EvaluateFunctionAsync("(a) => { document.getElementById('new-answer').value = a; }", answer);
        await page.ClickAsync("#new-submit");
        await page.WaitForSelectorAsync("#new-proponents > li", new WaitForSelectorOptions { Timeout = 300_000 });
        await Shot(page, "6-new-answer");
        string input = Path.Combine(Fixtures.TempDir(), "new.jsonl");
        File.WriteAllText(
            input,
            new JsonObject
            {
                ["id"] = "new-answer",
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "user", ["content"] = prompt },
                    new JsonObject { ["role"] = "assistant", ["content"] = answer }
                ),
            }.ToJsonString() + "\n"
        );
        string reference = Path.Combine(Fixtures.TempDir(), "reference");
        Assert.Equal(
            0,
            InfraProcess
                .Run([
                    "scores",
                    "pairwise",
                    "--model",
                    FixtureAnalysis.Model,
                    "--factors",
                    factors,
                    "--train",
                    train,
                    "--queries",
                    input,
                    "--out",
                    reference,
                    "--measurement",
                    "mean-logprob",
                ])
                .ExitCode
        );
        var fresh = Row(Path.Combine(reference, "pairwise.safetensors"), 0);
        var expect = Enumerable
            .Range(0, fresh.Length)
            .OrderByDescending(j => fresh[j])
            .ThenBy(j => j)
            .Take(5)
            .Select(j => trainIds[j]);
        Assert.Equal(expect, (await Ids(page, "new-proponents")).Take(5));

        // Phone width: the query list still renders and nothing overflows sideways.
        var (phone, phoneProblems) = await Open(browser, server.Url, width: 375);
        Assert.True(await phone.EvaluateExpressionAsync<bool>("document.documentElement.scrollWidth <= 375"));
        await Shot(phone, "7-phone");
        Assert.True(!problems.Concat(phoneProblems).Any(), string.Join("; ", problems.Concat(phoneProblems)));
    }

    [Fact]
    public async Task HostileRowsRenderAsText()
    {
        // A training row whose id and text carry markup, made the top proponent of the first query by repeating
        // that query's conversation.
        const string Script = "<script>alert(1)</script>",
            Img = "<img src=x onerror=alert(2)>";
        string root = Fixtures.TempDir(),
            train = Path.Combine(root, "train.jsonl");
        string queries = Fixtures.Path_("tiny-qwen2", "queries.jsonl");
        var q0 = Fixtures.Jsonl(queries).First();
        var hostile = new JsonObject
        {
            ["id"] = "evil" + Img,
            ["domain"] = "math" + Script,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = q0["messages"]![0]!["content"]!.ToString() + Script },
                new JsonObject
                {
                    ["role"] = "assistant",
                    ["content"] = q0["messages"]![1]!["content"]!.ToString() + Img,
                }
            ),
        };
        File.WriteAllLines(
            train,
            File.ReadLines(Fixtures.Path_("tiny-qwen2", "train.jsonl"))
                .Where(l => l.Length > 0)
                .Take(40)
                .Append(hostile.ToJsonString())
        );
        string scores = Path.Combine(root, "scores");
        ScoreRun.Run(
            new ScoreRunArguments
            {
                Model = Fixtures.Model("tiny-qwen2"),
                Train = train,
                Queries = queries,
                Strategy = StrategyKind.Identity,
                Score = new ScoreArguments { PerToken = true, Measurement = Measurement.MeanLogProb },
            },
            scores
        );
        await using var server = await ExplorerServer.StartAsync(
            new ExplorerOptions
            {
                Scores = scores,
                Train = train,
                Queries = queries,
                Port = 0,
            }
        );
        await using var browser = await Launch();
        var (page, problems) = await Open(browser, server.Url);
        // Keyboard only: focus the first query's link and press Enter.
        await page.FocusAsync("#query-list > li:first-child .query-link");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("#proponents > li");
        var ids = await Ids(page, "proponents");
        Assert.Contains("evil" + Img, ids);
        await page.ClickAsync($"#proponents > li:nth-child({Array.IndexOf(ids, "evil" + Img) + 1}) .tokens-button");
        await page.WaitForSelectorAsync("#heatmap span[data-score]");
        // A heatmap cell takes keyboard focus and shows its value as hovering does.
        await page.FocusAsync("#heatmap span[data-score]");
        await page.WaitForSelectorAsync("#tip:not([hidden])");
        await page.ClickAsync($"#proponents > li:nth-child({Array.IndexOf(ids, "evil" + Img) + 1}) .row-link");
        await page.WaitForSelectorAsync("#view-train:not([hidden]) #helps > li");
        await Shot(page, "8-hostile-row");
        // The markup is text: shown verbatim, no element made from it, no dialog, no console error.
        Assert.Equal(
            "evil" + Img,
            await page.EvaluateExpressionAsync<string>("document.getElementById('train-id').textContent")
        );
        Assert.EndsWith(
            Img,
            await page.EvaluateExpressionAsync<string>("document.getElementById('train-answer').textContent")
        );
        Assert.Equal(0, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('img').length"));
        Assert.Equal(1, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('script').length"));
        await Task.Delay(300);
        Assert.True(problems.Count == 0, string.Join("; ", problems));
    }
}
