using InfraSharp.Storage;

namespace InfraSharp.Tests.Storage;

/// <summary><c>--partition auto</c>: the share a scheduler gives a task, from its environment, or one line why
/// not.</summary>
public class PartitionAutoTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] vars)
    {
        var d = vars.ToDictionary(v => v.Name, v => v.Value);
        return n => d.GetValueOrDefault(n);
    }

    [Theory]
    [InlineData("SLURM_ARRAY_TASK_ID=5,SLURM_ARRAY_TASK_MIN=3,SLURM_ARRAY_TASK_COUNT=4", null, 2, 4)]
    [InlineData(
        "SLURM_ARRAY_TASK_ID=0,SLURM_ARRAY_TASK_MIN=0,SLURM_ARRAY_TASK_COUNT=1,SLURM_ARRAY_TASK_STEP=1",
        null,
        0,
        1
    )]
    [InlineData("SLURM_ARRAY_TASK_ID=2,SLURM_ARRAY_TASK_MIN=0,SLURM_ARRAY_TASK_COUNT=3", 3, 2, 3)]
    [InlineData("JOB_COMPLETION_INDEX=6", 8, 6, 8)]
    [InlineData("RANK=1,WORLD_SIZE=2", null, 1, 2)]
    // Slurm wins over torchrun variables set inside the task (srun sets both).
    [InlineData(
        "SLURM_ARRAY_TASK_ID=1,SLURM_ARRAY_TASK_MIN=0,SLURM_ARRAY_TASK_COUNT=3,RANK=0,WORLD_SIZE=1",
        null,
        1,
        3
    )]
    public void ReadsTheSchedulersIndexAndCount(string vars, int? count, int index, int n)
    {
        var env = Env(vars.Split(',').Select(v => (v.Split('=')[0], v.Split('=')[1])).ToArray());
        Assert.Equal(new Partition(index, n), Partition.FromEnvironment(env, count));
    }

    [Theory]
    [InlineData("", null, "none of SLURM_ARRAY_TASK_ID")]
    [InlineData("SLURM_ARRAY_TASK_ID=1", null, "SLURM_ARRAY_TASK_MIN")]
    [InlineData("SLURM_ARRAY_TASK_ID=1,SLURM_ARRAY_TASK_MIN=0", null, "SLURM_ARRAY_TASK_COUNT")]
    [InlineData("SLURM_ARRAY_TASK_ID=x,SLURM_ARRAY_TASK_MIN=0,SLURM_ARRAY_TASK_COUNT=2", null, "not an integer")]
    [InlineData(
        "SLURM_ARRAY_TASK_ID=4,SLURM_ARRAY_TASK_MIN=0,SLURM_ARRAY_TASK_COUNT=3,SLURM_ARRAY_TASK_STEP=2",
        null,
        "step 2"
    )]
    [InlineData("SLURM_ARRAY_TASK_ID=1,SLURM_ARRAY_TASK_MIN=0,SLURM_ARRAY_TASK_COUNT=3", 4, "not 4")]
    [InlineData("JOB_COMPLETION_INDEX=2", null, "auto/N")]
    [InlineData("JOB_COMPLETION_INDEX=5", 4, "outside 0..3")]
    [InlineData("RANK=0", null, "WORLD_SIZE")]
    public void RefusesWhatIsMissingOrInconsistentInOneLine(string vars, int? count, string expected)
    {
        var env = Env(
            vars.Length == 0 ? [] : vars.Split(',').Select(v => (v.Split('=')[0], v.Split('=')[1])).ToArray()
        );
        var e = Assert.Throws<InputArgumentException>(() => Partition.FromEnvironment(env, count));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("--partition auto", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
