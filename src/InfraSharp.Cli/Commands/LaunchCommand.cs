using System.CommandLine;
using InfraSharp.Cli.Binding;
using InfraSharp.Launch;

namespace InfraSharp.Cli.Commands;

/// <summary>
/// <c>infra launch slurm</c> writes (and with <c>--submit</c> submits) the whole influence chain as Slurm job
/// arrays over one shared folder; <c>infra launch status OUT</c> reads that folder and says where the chain is.
/// </summary>
public static class LaunchCommand
{
    public static Command Build()
    {
        var cmd = new Command(
            "launch",
            "Run the influence chain on a cluster: job files per step, submission, status."
        );
        cmd.Subcommands.Add(Slurm());
        cmd.Subcommands.Add(Kubernetes());
        cmd.Subcommands.Add(Status());
        return cmd;
    }

    private static Command Slurm()
    {
        var chain = new LaunchArgumentsBinder(ThisInfra, keepPaths: false);
        var queue = CliOptions.OptionalPath("--partition-name", "Slurm partition (queue)");
        var account = CliOptions.OptionalPath("--account", "Slurm account");
        var extra = new Option<string[]>("--sbatch")
        {
            Description = "An extra #SBATCH line (repeatable), e.g. --sbatch=--qos=high",
        };
        var submit = new Option<bool>("--submit")
        {
            Description = "Submit the chain with sbatch and print the job ids",
        };
        var cmd = new Command(
            "slurm",
            "Write the chain as sbatch job arrays (covariance, merge, eigen, lambda, merge, scores, merge)."
        )
        {
            queue,
            account,
            extra,
            submit,
        };
        chain.AddTo(cmd);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    var args = chain.Bind(p);
                    args = args with
                    {
                        Resources = args.Resources with
                        {
                            Queue = p.GetValue(queue),
                            Account = p.GetValue(account),
                            Extra = p.GetValue(extra) ?? [],
                        },
                    };
                    args.Validate();
                    var scripts = SlurmScripts.Write(args);
                    Console.Error.WriteLine(
                        $"wrote {scripts.Count} sbatch scripts and submit.sh in {SlurmScripts.Folder(args.Out)}"
                    );
                    if (p.GetValue(submit))
                        Console.WriteLine(SlurmScripts.SubmitAll(args.Out));
                    return 0;
                },
                flags: chain.Flags
            )
        );
        return cmd;
    }

    private static Command Kubernetes()
    {
        var chain = new LaunchArgumentsBinder(() => "infra", keepPaths: true);
        var image = CliOptions.Path("--image", "Container image with infra on its PATH (or give --infra-command)");
        var claim = CliOptions.Path(
            "--pvc",
            "PersistentVolumeClaim (ReadWriteMany) holding the model, data and output"
        );
        var mount = new Option<string>("--mount-path")
        {
            DefaultValueFactory = _ => "/shared",
            Description = "Where pods mount the claim",
        };
        var ns = CliOptions.OptionalPath("--namespace", "Kubernetes namespace");
        var backoff = CliOptions.Int(
            "--backoff-limit-per-index",
            "Retries of one index before it counts as failed",
            2,
            min: 0
        );
        var local = CliOptions.OptionalPath(
            "--write-to",
            "Where this machine writes the job files (default: --out as given)"
        );
        var cmd = new Command(
            "kubernetes",
            "Write the chain as Indexed Jobs (one per step) and apply.sh, which runs them in order."
        )
        {
            image,
            claim,
            mount,
            ns,
            backoff,
            local,
        };
        chain.AddTo(cmd);
        cmd.SetAction(p =>
            CliRunner.Run(
                () =>
                {
                    // Paths are the pods' (under --mount-path); nothing is checked on this machine.
                    var args = chain.Bind(p);
                    args.CheckOutput();
                    var k = new KubernetesOptions
                    {
                        Image = p.GetValue(image)!,
                        Claim = p.GetValue(claim)!,
                        MountPath = p.GetValue(mount)!,
                        Namespace = p.GetValue(ns),
                        BackoffLimitPerIndex = p.GetValue(backoff),
                    };
                    string localOut = p.GetValue(local) ?? args.Out;
                    var files = KubernetesManifests.Write(args, k, localOut);
                    Console.Error.WriteLine(
                        $"wrote {files.Count} Indexed Job manifests and apply.sh in "
                            + KubernetesManifests.Folder(localOut)
                    );
                    return 0;
                },
                flags: chain.Flags
            )
        );
        return cmd;
    }

    private static Command Status()
    {
        var folder = new Argument<string>("out") { Description = "The launched chain's output folder" };
        var cmd = new Command(
            "status",
            "Per step: tasks done, running, failed (with the error) or missing; exit 0 complete, 1 failed, 3 in "
                + "progress."
        )
        {
            folder,
        };
        cmd.SetAction(p =>
            CliRunner.Run(() =>
            {
                var s = LaunchStatus.Read(p.GetValue(folder)!);
                Console.WriteLine(s);
                return s.ExitCode;
            })
        );
        return cmd;
    }

    /// <summary>This very infra, by absolute path: the apphost, or <c>dotnet infra.dll</c> when run through
    /// dotnet.</summary>
    private static string ThisInfra()
    {
        string process = Environment.ProcessPath ?? "dotnet";
        string dll = typeof(LaunchCommand).Assembly.Location;
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? $"{SlurmScripts.Quote(process)} {SlurmScripts.Quote(dll)}"
            : SlurmScripts.Quote(process);
    }
}
