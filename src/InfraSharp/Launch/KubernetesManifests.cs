using System.Globalization;
using System.Text;
using InfraSharp.Storage;
using YamlDotNet.Serialization;

namespace InfraSharp.Launch;

/// <summary>
/// The Kubernetes form of a chain: one Indexed Job per step under <c>OUT/launch/kubernetes/</c>
/// (<c>completionMode: Indexed</c>, one completion per task, all in parallel, <c>backoffLimitPerIndex</c>), each
/// pod mounting the shared claim and running the same task wrapper as on Slurm with its share from
/// <c>JOB_COMPLETION_INDEX</c> (<c>--partition auto/N</c>); and <c>apply.sh</c>, which applies them in order,
/// each after <c>kubectl wait</c> has seen the one before complete (and stops when one fails).
/// </summary>
public static class KubernetesManifests
{
    /// <summary>
    /// Where the manifests of a chain writing into <paramref name="outDir"/> go: <c>OUT/launch/kubernetes</c>.
    /// </summary>
    public static string Folder(string outDir) => Path.Combine(outDir, "launch", "kubernetes");

    /// <summary>Writes the manifests; <paramref name="localOut"/> is where this machine sees the output
    /// folder.</summary>
    public static IReadOnlyList<string> Write(LaunchArguments a, KubernetesOptions k, string localOut)
    {
        var stages = LaunchChain.Stages(a);
        string dir = Folder(localOut);
        Directory.CreateDirectory(dir);
        ChainFile.Write(localOut, stages);
        var files = new List<string>();
        var yaml = new SerializerBuilder().Build();
        for (int i = 0; i < stages.Count; i++)
        {
            string path = Path.Combine(dir, $"{i + 1:D2}-{stages[i].Name}.yaml");
            AtomicFile.WriteAllText(path, yaml.Serialize(Job(a, k, stages[i])));
            files.Add(path);
        }
        AtomicFile.WriteAllText(Path.Combine(dir, "apply.sh"), Driver(k, stages, files));
        return files;
    }

    /// <summary>The Job name of a chain step (<c>infra-</c> and the step's name).</summary>
    public static string JobName(string stage) => "infra-" + stage;

    private static Dictionary<string, object> Job(LaunchArguments a, KubernetesOptions k, ChainStage stage)
    {
        var r = a.Resources;
        // Kubernetes gives the pod its index but not the count: auto/N.
        var args = stage.Arguments.Select(x => x == "auto" ? $"auto/{stage.Tasks}" : x);
        string script =
            $"status={SlurmScripts.Quote(TaskStatusFiles.Folder(a.Out, stage.Name))}; i=$JOB_COMPLETION_INDEX\n"
            + TaskStatusFiles.Wrapper($"{a.InfraCommand} {string.Join(' ', args.Select(SlurmScripts.Quote))}");
        var limits = new Dictionary<string, object> { ["memory"] = Memory(r.Memory) };
        if (r.Gpus > 0)
            limits["nvidia.com/gpu"] = r.Gpus;
        var metadata = new Dictionary<string, object>
        {
            ["name"] = JobName(stage.Name),
            ["labels"] = new Dictionary<string, object> { ["app"] = "infrasharp", ["step"] = stage.Name },
        };
        if (k.Namespace is not null)
            metadata["namespace"] = k.Namespace;
        return new Dictionary<string, object>
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = metadata,
            ["spec"] = new Dictionary<string, object>
            {
                ["completionMode"] = "Indexed",
                ["completions"] = stage.Tasks,
                ["parallelism"] = stage.Tasks,
                ["backoffLimitPerIndex"] = k.BackoffLimitPerIndex,
                ["template"] = new Dictionary<string, object>
                {
                    ["metadata"] = new Dictionary<string, object>
                    {
                        ["labels"] = new Dictionary<string, object> { ["app"] = "infrasharp", ["step"] = stage.Name },
                    },
                    ["spec"] = new Dictionary<string, object>
                    {
                        ["restartPolicy"] = "Never",
                        ["containers"] = new List<object>
                        {
                            new Dictionary<string, object>
                            {
                                ["name"] = "infra",
                                ["image"] = k.Image,
                                ["command"] = new List<object> { "bash", "-c", script },
                                // torch's thread pool sized to the pod's CPUs, not the node's.
                                ["env"] = new List<object>
                                {
                                    new Dictionary<string, object>
                                    {
                                        ["name"] = "OMP_NUM_THREADS",
                                        ["value"] = r.Cpus.ToString(CultureInfo.InvariantCulture),
                                    },
                                },
                                ["resources"] = new Dictionary<string, object>
                                {
                                    ["requests"] = new Dictionary<string, object>
                                    {
                                        ["cpu"] = r.Cpus.ToString(CultureInfo.InvariantCulture),
                                        ["memory"] = Memory(r.Memory),
                                    },
                                    ["limits"] = limits,
                                },
                                ["volumeMounts"] = new List<object>
                                {
                                    new Dictionary<string, object> { ["name"] = "shared", ["mountPath"] = k.MountPath },
                                },
                            },
                        },
                        ["volumes"] = new List<object>
                        {
                            new Dictionary<string, object>
                            {
                                ["name"] = "shared",
                                ["persistentVolumeClaim"] = new Dictionary<string, object> { ["claimName"] = k.Claim },
                            },
                        },
                    },
                },
            },
        };
    }

    /// <summary>Slurm's 16G as Kubernetes' 16Gi (a bare number or an Ki/Mi/Gi quantity is kept).</summary>
    public static string Memory(string m) =>
        m.Length > 1 && "KMGT".Contains(m[^1]) && char.IsDigit(m[^2]) ? m + "i" : m;

    private static string Driver(KubernetesOptions k, IReadOnlyList<ChainStage> stages, IReadOnlyList<string> files)
    {
        string ns = k.Namespace is null ? "" : $" -n {SlurmScripts.Quote(k.Namespace)}";
        var sb = new StringBuilder(
            "#!/usr/bin/env bash\n# Applies the chain's Indexed Jobs in order; each starts when the one before has "
                + "completed.\nset -euo pipefail\n"
        );
        sb.Append("cd \"$(dirname \"$0\")\"\n");
        for (int i = 0; i < stages.Count; i++)
        {
            string job = JobName(stages[i].Name);
            sb.Append($"kubectl{ns} apply -f {Path.GetFileName(files[i])}\n");
            // kubectl wait for completion, while watching for the Failed condition: a failed step stops the chain.
            sb.Append($"kubectl{ns} wait --for=condition=complete --timeout=-1s job/{job} & w=$!\n");
            sb.Append($"while kill -0 $w 2>/dev/null; do\n");
            sb.Append(
                $"  if kubectl{ns} get job/{job} -o jsonpath='{{.status.conditions[?(@.type==\"Failed\")].status}}' "
                    + $"| grep -q True; then\n"
            );
            sb.Append(
                $"    kill $w; echo \"{job} failed; see infra launch status\" >&2; exit 1\n  fi\n  sleep "
                    + $"10\ndone\nwait $w\n"
            );
        }
        return sb.ToString();
    }
}
