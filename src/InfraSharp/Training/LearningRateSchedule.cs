namespace InfraSharp.Training;

/// <summary>Linear warmup to the peak rate, then cosine decay to <c>min ratio x peak</c> at the last step.</summary>
internal static class LearningRateSchedule
{
    public static double At(long step, long totalSteps, SftOptions o)
    {
        if (step < o.WarmupSteps)
            return o.LearningRate * (step + 1) / o.WarmupSteps;
        double progress =
            totalSteps <= o.WarmupSteps
                ? 1
                : (double)(step - o.WarmupSteps) / Math.Max(1, totalSteps - o.WarmupSteps - 1);
        progress = Math.Clamp(progress, 0, 1);
        double min = o.LearningRate * o.MinLearningRateRatio;
        return min + 0.5 * (o.LearningRate - min) * (1 + Math.Cos(Math.PI * progress));
    }
}
