using System.Diagnostics;

namespace InfraSharp.Tests.Launch;

/// <summary>
/// A real one-node Slurm cluster (munged, slurmctld, slurmd) for the launcher tests, started by the project's
/// <c>tests/slurm/cluster.sh</c> in a temporary folder and stopped by the pids it recorded. The packages are
/// installed by <c>.ci/run</c> (slurmctld slurmd slurm-client munge).
/// </summary>
public sealed class SlurmCluster : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "infra-slurm-" + Guid.NewGuid().ToString("N")[..8]);
    public Dictionary<string, string> Environment => new() { ["SLURM_CONF"] = Path.Combine(Dir, "slurm.conf") };
    private static string Script => Path.Combine(Fixtures.Shared, "..", "slurm", "cluster.sh");

    public SlurmCluster()
    {
        var (rc, output) = Bash(Script, "start", Dir);
        if (rc != 0)
            throw new InvalidOperationException($"the test Slurm cluster did not start: {output}");
    }

    public static (int ExitCode, string Output) Bash(params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output + err.Result);
    }

    public void Dispose()
    {
        Bash(Script, "stop", Dir);
        try
        {
            Directory.Delete(Dir, true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition("slurm", DisableParallelization = true)]
public sealed class SlurmCollection : ICollectionFixture<SlurmCluster>;
