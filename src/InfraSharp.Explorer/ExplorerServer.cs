using System.Net;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InfraSharp.Explorer;

/// <summary>
/// The <c>infra explore</c> server: Kestrel on 127.0.0.1 (another address needs the access token printed at start on
/// every request, as <c>?token=</c> or the <c>X-Infra-Token</c> header), one self-contained page, and a small JSON
/// API that pages and filters on the server. Every endpoint is read-only except the new-answer form, which runs
/// one scoring at a time. Parameters are checked: a bad one is a 400 with a one-line reason.
/// </summary>
public sealed class ExplorerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NewAnswerScoring _scoring;

    /// <summary>The address the server listens on (with the port it got).</summary>
    public string Url { get; }

    /// <summary>The access token (null on loopback, where none is needed).</summary>
    public string? Token { get; }

    private ExplorerServer(WebApplication app, NewAnswerScoring scoring, string url, string? token)
    {
        _app = app;
        _scoring = scoring;
        Url = url;
        Token = token;
    }

    /// <summary>Loads the scores and data of <paramref name="options"/> and starts serving them.</summary>
    /// <returns>The running server; dispose it to stop.</returns>
    public static async Task<ExplorerServer> StartAsync(ExplorerOptions options)
    {
        var data = ExplorerData.Load(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (options.Host == "localhost")
                k.ListenLocalhost(options.Port);
            else
                k.Listen(IPAddress.Parse(options.Host), options.Port);
        });
        var app = builder.Build();
        string? token = options.IsLoopback ? null : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var scoring = new NewAnswerScoring(options, data);
        Map(app, options, data, scoring, token);
        try
        {
            await app.StartAsync();
        }
        catch (IOException e)
        {
            // Kestrel's "address already in use" (and a port the system refuses) is the user's to fix.
            await app.DisposeAsync();
            throw InputError.Argument($"--port {options.Port} on {options.Host}: cannot listen ({e.Message})");
        }
        var address = app
            .Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!
            .Addresses.First();
        return new ExplorerServer(app, scoring, address, token);
    }

    private static void Map(
        WebApplication app,
        ExplorerOptions options,
        ExplorerData data,
        NewAnswerScoring scoring,
        string? token
    )
    {
        UseAccess(app, options, token);
        UseHeadersAndErrors(app);
        MapRoutes(app, options, data, scoring);
    }

    /// <summary>
    /// Who may ask: off loopback, whoever holds the token (query, header or the cookie it sets); on loopback, only
    /// requests addressed to loopback.
    /// </summary>
    private static void UseAccess(WebApplication app, ExplorerOptions options, string? token)
    {
        if (token is not null)
            app.Use(
                async (ctx, next) =>
                {
                    string? query = ctx.Request.Query["token"].FirstOrDefault();
                    string? given = query
                        ?? ctx.Request.Headers["X-Infra-Token"].FirstOrDefault()
                        ?? ctx.Request.Cookies[TokenCookie];
                    if (
                        given is null
                        || !CryptographicOperations.FixedTimeEquals(
                            System.Text.Encoding.UTF8.GetBytes(given),
                            System.Text.Encoding.UTF8.GetBytes(token)
                        )
                    )
                    {
                        ctx.Response.StatusCode = 401;
                        await ctx.Response.WriteAsync(
                            "an access token is required (?token=... or the X-Infra-Token header)"
                        );
                        return;
                    }
                    // The page's own assets load without a query string: a valid token in the URL also sets a cookie
                    // that only this site's requests carry.
                    if (query is not null)
                        ctx.Response.Cookies.Append(
                            TokenCookie,
                            token,
                            new CookieOptions
                            {
                                HttpOnly = true,
                                SameSite = SameSiteMode.Strict,
                                Path = "/",
                            }
                        );
                    await next();
                }
            );
        else
            app.Use(
                async (ctx, next) =>
                {
                    // On loopback, answer only requests addressed to loopback: a page elsewhere that rebinds its own
                    // name to 127.0.0.1 (DNS rebinding) sends its own Host header and is refused.
                    string host = ctx.Request.Host.Host;
                    if (host is not ("127.0.0.1" or "localhost" or "[::1]" or "::1"))
                    {
                        ctx.Response.StatusCode = 400;
                        await ctx.Response.WriteAsync(
                            $"unexpected Host header: the explorer answers on {options.Host} only"
                        );
                        return;
                    }
                    await next();
                }
            );
    }

    /// <summary>The page's security headers, and bad requests and bad input answered as one-line 400s.</summary>
    private static void UseHeadersAndErrors(WebApplication app)
    {
        app.Use(
            async (ctx, next) =>
            {
                // The page loads nothing from elsewhere and runs only its own script.
                ctx.Response.Headers["Content-Security-Policy"] =
                    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:";
                ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
                try
                {
                    await next();
                }
                catch (BadRequestException e)
                {
                    await Error(ctx, 400, e.Message);
                }
                catch (Exception e) when (InputError.Is(e, out var inner))
                {
                    await Error(ctx, 400, inner.Message);
                }
            }
        );
    }

    /// <summary>The page, its assets and the API.</summary>
    private static void MapRoutes(
        WebApplication app,
        ExplorerOptions options,
        ExplorerData data,
        NewAnswerScoring scoring
    )
    {
        var views = new ExplorerQueries(data);
        // Every view has its own address (the page reads it and restores the view); the API keeps its own paths.
        foreach (var view in ViewRoutes)
            app.MapGet(view, () => Asset("index.html", "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Asset("app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/app.css", () => Asset("app.css", "text/css; charset=utf-8"));
        app.MapGet("/favicon.ico", () => Results.NoContent()); // browsers ask; a 404 would log a console error
        app.MapGet("/api/info", () => Json(views.Info(scoring.Available)));
        app.MapGet("/api/queries", (HttpRequest r) =>
        {
            var p = new Params(r.Query);
            string sort = p.Choice("sort", "index", ["index", "total", "correct"]);
            return Json(
                views.QueryPage(
                    r.Query["search"].FirstOrDefault(),
                    p.Filters(),
                    sort,
                    p.Int("page", 0, 0, 1_000_000),
                    p.Int("size", 20, 1, ExplorerQueries.MaxPageSize)
                )
            );
        });
        app.MapGet("/api/queries/{q}", (string q, HttpRequest r) =>
        {
            var p = new Params(r.Query);
            return Json(
                views.Influence(
                    Params.Index(q, "query", data.Queries.Count),
                    p.Int("k", 10, 1, ExplorerQueries.MaxK),
                    p.Filters()
                )
            );
        });
        app.MapGet("/api/queries/{q}/tokens/{t}", (string q, string t) =>
            Json(
                views.Tokens(
                    Params.Index(q, "query", data.Queries.Count),
                    Params.Index(t, "training row", data.Train.Count)
                )
            )
        );
        app.MapGet("/api/train/{t}", (string t, HttpRequest r) =>
            Json(
                views.TrainRow(
                    Params.Index(t, "training row", data.Train.Count),
                    new Params(r.Query).Int("k", 10, 1, ExplorerQueries.MaxK)
                )
            )
        );
        app.MapGet("/api/tables", () => Json(AnalysisTables(options)));
        app.MapGet("/api/score", () => Json(scoring.State()));
        app.MapPost("/api/score", async (HttpRequest r) =>
        {
            if (!scoring.Available)
                return Results.Json(new { error = "scoring needs --model with --factors or --index" }, statusCode: 400);
            // JSON only: a form or text/plain post from another site (no CORS preflight) is refused.
            if (!r.HasJsonContentType())
                return Results.Json(new { error = "the body must be application/json" }, statusCode: 415);
            JsonObject? body;
            try
            {
                body = await System.Text.Json.JsonSerializer.DeserializeAsync<JsonObject>(r.Body);
            }
            catch (System.Text.Json.JsonException)
            {
                body = null;
            }
            string? prompt = body?["prompt"]?.ToString(),
                answer = body?["answer"]?.ToString();
            if (string.IsNullOrWhiteSpace(prompt) || string.IsNullOrWhiteSpace(answer))
                return Results.Json(
                    new { error = "the body must be JSON with a non-empty prompt and answer" },
                    statusCode: 400
                );
            if (prompt.Length + answer.Length > 20_000)
                return Results.Json(
                    new { error = "prompt and answer are limited to 20,000 characters" },
                    statusCode: 400
                );
            int? run = scoring.TryStart(prompt, answer, 10);
            if (run is null)
                return Results.Json(
                    new { error = "a scoring run is already in progress; one runs at a time" },
                    statusCode: 429
                );
            return Results.Json(new { state = "running", run }, statusCode: 202);
        });
    }

    /// <summary>
    /// The page's addresses: the query list, a query, a training row's token heatmap for a query, a training row,
    /// the attribute tables and the new-answer form (app.js's <c>route</c> reads the same paths).
    /// </summary>
    public static readonly string[] ViewRoutes =
    [
        "/",
        "/query/{q}",
        "/query/{q}/train/{t}",
        "/train/{t}",
        "/tables",
        "/answer",
    ];

    private const string TokenCookie = "infra_token";

    private static async Task Error(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(new JsonObject { ["error"] = message.ReplaceLineEndings(" ") }.ToJsonString());
    }

    private static IResult Json(JsonNode node) => Results.Text(node.ToJsonString(), "application/json; charset=utf-8");

    private static IResult Asset(string name, string type)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("page/" + name)
            ?? throw new InvalidOperationException($"page asset {name} missing from the build");
        using var reader = new StreamReader(s);
        return Results.Text(reader.ReadToEnd(), type);
    }

    /// <summary>The analysis folder's attribute tables (example, sequence and token level), as rows of cells.</summary>
    private static JsonObject AnalysisTables(ExplorerOptions o)
    {
        string? dir = o.Analysis
            ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(o.Scores).TrimEnd('/'))!, "analysis");
        var tables = new JsonArray();
        foreach (var name in Reporting.AnalysisFolder.AttributeTables)
        {
            string path = Reporting.AnalysisFolder.CsvPath(dir, name);
            if (!File.Exists(path))
                continue;
            var table = Storage.CsvTable.Read(path);
            tables.Add(
                new JsonObject
                {
                    ["name"] = name,
                    ["columns"] = new JsonArray(table.Header.Select(c => (JsonNode)c).ToArray()),
                    ["rows"] = new JsonArray(
                        table
                            .Rows.Take(500)
                            .Select(r => (JsonNode)new JsonArray(r.Select(c => (JsonNode)c).ToArray()))
                            .ToArray()
                    ),
                }
            );
        }
        return new JsonObject { ["folder"] = dir, ["tables"] = tables };
    }

    /// <summary>
    /// Stops accepting connections, then cancels a running new-answer scoring and waits for it to let go of the
    /// model and remove its temporary folder.
    /// </summary>
    public async Task StopAsync()
    {
        await _app.StopAsync();
        _scoring.Stop();
    }

    /// <summary>Stops new-answer scoring and shuts the server down.</summary>
    public async ValueTask DisposeAsync()
    {
        _scoring.Stop();
        await _app.DisposeAsync();
    }
}
