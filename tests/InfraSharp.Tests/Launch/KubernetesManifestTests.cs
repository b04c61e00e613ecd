using InfraSharp.Tests.Cli;
using YamlDotNet.RepresentationModel;

namespace InfraSharp.Tests.Launch;

/// <summary>
/// <c>infra launch kubernetes</c>: the written YAML parsed back (YamlDotNet): one Indexed Job per step with the
/// right indices, counts, volume, resources and command, and <c>apply.sh</c> applying them in the chain's order.
/// </summary>
public class KubernetesManifestTests
{
    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
            stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (n, key) =>
            int.TryParse(key, out int i) ? ((YamlSequenceNode)n)[i] : ((YamlMappingNode)n)[key]
        );

    private static string S(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    [Fact]
    public void OneIndexedJobPerStepInTheChainsOrder()
    {
        string local = Fixtures.TempDir();
        var r = InfraProcess.Run([
            "launch",
            "kubernetes",
            "--model",
            "/shared/models/qwen",
            "--data",
            "/shared/data/train.jsonl",
            "--queries",
            "/shared/data/queries.jsonl",
            "--out",
            "/shared/runs/r1",
            "--write-to",
            local,
            "--data-partitions",
            "3",
            "--module-partitions",
            "2",
            "--cpus",
            "8",
            "--mem",
            "32G",
            "--gpus",
            "1",
            "--device",
            "cuda",
            "--dtype",
            "bfloat16",
            "--image",
            "registry.example/infra:1.0",
            "--pvc",
            "infra-shared",
            "--namespace",
            "research",
            "--backoff-limit-per-index",
            "3",
        ]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string dir = Path.Combine(local, "launch", "kubernetes");
        var expected = new (string Step, int Tasks)[]
        {
            ("covariance", 3),
            ("merge-covariance", 1),
            ("eigen", 2),
            ("lambda", 3),
            ("merge-lambda", 1),
            ("scores", 3),
            ("merge-scores", 1),
        };
        var files = Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected.Select((e, i) => $"{i + 1:D2}-{e.Step}.yaml"), files.Select(Path.GetFileName));
        for (int i = 0; i < expected.Length; i++)
        {
            var (step, tasks) = expected[i];
            var job = Load(files[i]);
            Assert.Equal(
                ("batch/v1", "Job", $"infra-{step}", "research"),
                (S(job, "apiVersion"), S(job, "kind"), S(job, "metadata", "name"), S(job, "metadata", "namespace"))
            );
            Assert.Equal("Indexed", S(job, "spec", "completionMode"));
            Assert.Equal(tasks.ToString(), S(job, "spec", "completions"));
            Assert.Equal(tasks.ToString(), S(job, "spec", "parallelism"));
            Assert.Equal("3", S(job, "spec", "backoffLimitPerIndex"));
            var pod = At(job, "spec", "template", "spec");
            Assert.Equal("Never", S(pod, "restartPolicy"));
            Assert.Equal("infra-shared", S(pod, "volumes", "0", "persistentVolumeClaim", "claimName"));
            var c = At(pod, "containers", "0");
            Assert.Equal("registry.example/infra:1.0", S(c, "image"));
            Assert.Equal(
                ("shared", "/shared"),
                (S(c, "volumeMounts", "0", "name"), S(c, "volumeMounts", "0", "mountPath"))
            );
            Assert.Equal(
                ("8", "32Gi", "32Gi", "1"),
                (
                    S(c, "resources", "requests", "cpu"),
                    S(c, "resources", "requests", "memory"),
                    S(c, "resources", "limits", "memory"),
                    S(c, "resources", "limits", "nvidia.com/gpu")
                )
            );
            Assert.Equal(("OMP_NUM_THREADS", "8"), (S(c, "env", "0", "name"), S(c, "env", "0", "value")));
            string script = S(c, "command", "2");
            Assert.Equal(("bash", "-c"), (S(c, "command", "0"), S(c, "command", "1")));
            Assert.Contains("i=$JOB_COMPLETION_INDEX", script);
            Assert.Contains($"/shared/runs/r1/launch/status/{step}", script);
            if (step.StartsWith("merge"))
                Assert.Contains("infra merge", script);
            else
            {
                Assert.Contains($"{(step == "eigen" ? "--module-partition" : "--partition")} auto/{tasks}", script);
                Assert.Contains("--device cuda", script);
                Assert.Contains("--dtype bfloat16", script);
                if (step != "scores")
                    Assert.Contains($"--stage {step}", script);
                else
                    Assert.Contains("--queries /shared/data/queries.jsonl", script);
            }
        }
        var apply = File.ReadAllLines(Path.Combine(dir, "apply.sh"));
        var applied = apply.Where(l => l.Contains(" apply -f ")).Select(l => l.Split(' ')[^1]).ToList();
        Assert.Equal(files.Select(Path.GetFileName), applied);
        Assert.Equal(expected.Length, apply.Count(l => l.Contains("wait --for=condition=complete")));
        Assert.True(File.Exists(Path.Combine(local, "launch", "chain.json")));
    }
}
