using System.CommandLine;
using System.Runtime.InteropServices;
using InfraSharp.Explorer;

namespace InfraSharp.Cli.Commands;

/// <summary><c>infra explore</c>: the local web app over a score folder, until Ctrl+C.</summary>
public static class ExploreCommand
{
    public static Command Build()
    {
        var scores = CliOptions.Path("--scores", "Pairwise score folder (per-token scores give the heatmaps)");
        var train = CliOptions.Path("--train", "Training rows the scores were computed on");
        var queries = CliOptions.Path("--queries", "Query rows the scores were computed on");
        var analysis = CliOptions.OptionalPath(
            "--analysis",
            "Analysis folder with the attribute tables (default: analysis beside --scores)"
        );
        var factors = CliOptions.OptionalPath("--factors", "Factor folder: enables scoring a new prompt and answer");
        var index = CliOptions.OptionalPath(
            "--index",
            "Gradient index: enables scoring a new prompt and answer from the store"
        );
        var model = CliOptions.OptionalPath("--model", "Model folder (default: the one the scores were computed with)");
        var host = new Option<string>("--host")
        {
            Description = "Address to bind; anything but loopback requires the printed access token on every request",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var port = CliOptions.Int("--port", "Port (0: any free one)", 5080, min: 0, max: 65535);
        var cmd = new Command(
            "explore",
            "A local web app over the scores: queries, proponents and opponents "
                + "with token heatmaps, attribute filters, and which training data supports a new answer."
        )
        {
            scores,
            train,
            queries,
            analysis,
            factors,
            index,
            model,
            host,
            port,
        };
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var options = new ExplorerOptions
                    {
                        Scores = p.GetValue(scores)!,
                        Train = p.GetValue(train)!,
                        Queries = p.GetValue(queries)!,
                        Analysis = p.GetValue(analysis),
                        Factors = p.GetValue(factors),
                        Index = p.GetValue(index),
                        Model = p.GetValue(model),
                        Host = p.GetValue(host)!,
                        Port = p.GetValue(port),
                    };
                    if (!options.IsLoopback && !System.Net.IPAddress.TryParse(options.Host, out _))
                        throw InputError.Argument($"--host {options.Host}: not an IP address");
                    // Ctrl-C and SIGTERM (docker stop, Kubernetes, systemd, scancel, timeout) alike: stop listening,
                    // cancel
                    // a running scoring, remove its temporary folder, exit 0. Registered before the server starts, so
                    // that
                    // a signal arriving as it comes up is not left to the web host's own handling (which stops the host
                    // and leaves this thread waiting).
                    using var done = new ManualResetEventSlim();
                    void Stop(PosixSignalContext c)
                    {
                        c.Cancel = true;
                        done.Set();
                    }
                    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
                    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
                    using var quit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);
                    var server = ExplorerServer.StartAsync(options).GetAwaiter().GetResult();
                    string url = server.Token is null ? server.Url : $"{server.Url}/?token={server.Token}";
                    Console.WriteLine($"infra explore: {url}");
                    if (server.Token is not null)
                        Console.WriteLine($"access token (every request needs it): {server.Token}");
                    Console.WriteLine("Ctrl+C stops the server.");
                    done.Wait();
                    Console.Error.WriteLine("infra explore: stopping");
                    server.StopAsync().GetAwaiter().GetResult();
                    server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    return 0;
                },
                stopOnSigterm: false
            )
        );
        return cmd;
    }
}
