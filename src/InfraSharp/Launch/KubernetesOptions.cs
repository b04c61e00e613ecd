namespace InfraSharp.Launch;

/// <summary>Where a chain's pods run: the image with <c>infra</c>, and the volume that holds the shared
/// folder.</summary>
public sealed record KubernetesOptions
{
    /// <summary>The container image, with <c>infra</c> on its path.</summary>
    public required string Image { get; init; }

    /// <summary>PersistentVolumeClaim mounted in every pod (ReadWriteMany: all tasks write the same folder).</summary>
    public required string Claim { get; init; }

    /// <summary>Where the claim is mounted; the model, data and output paths are given as the pods see them.</summary>
    public string MountPath { get; init; } = "/shared";

    /// <summary>The namespace the Jobs are created in; null: kubectl's current one.</summary>
    public string? Namespace { get; init; }

    /// <summary>Retries of one index before it counts as failed (the others go on).</summary>
    public int BackoffLimitPerIndex { get; init; } = 2;
}
