using System.Diagnostics;

namespace InfraSharp.Tests.Cli;

/// <summary>
/// The <c>infra</c> command as a separate process (the build output's infra.dll under dotnet), so that a test sees
/// exactly what a user sees: the exit code and the whole of stdout and stderr, with an environment of its own.
/// </summary>
public static class InfraProcess
{
    public sealed record Output(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Stderr without the timestamped progress lines (<c>[HH:mm:ss] ...</c>).</summary>
        public string[] ErrorLines =>
            Stderr
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => !(l.Length > 10 && l[0] == '[' && l[9] == ']'))
                .ToArray();
    }

    private static readonly string Dotnet = FindDotnet();

    private static string FindDotnet()
    {
        foreach (
            var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(
                ':',
                StringSplitOptions.RemoveEmptyEntries
            )
        )
            if (File.Exists(Path.Combine(dir, "dotnet")))
                return Path.Combine(dir, "dotnet");
        return Environment.ProcessPath ?? "dotnet";
    }

    public static Output Run(string[] args, IDictionary<string, string>? environment = null, int timeoutSeconds = 300)
    {
        var psi = new ProcessStartInfo(Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "infra.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"infra {string.Join(' ', args)} ran over {timeoutSeconds} s");
        }
        return new Output(p.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
