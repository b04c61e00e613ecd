namespace InfraSharp.Storage;

/// <summary>
/// An exclusive lock on a file (an advisory lock that the operating system releases when the holder dies, so a
/// killed task never leaves a stale lock), for work that several tasks sharing a folder must do only once.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream) => _stream = stream;

    public static FileLock Acquire(string path, IProgress<RunProgress>? progress = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromHours(24));
        bool announced = false;
        while (true)
        {
            try
            {
                return new FileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!announced)
                    ProgressMeter.Note(progress, $"waiting for another task that holds {path}");
                announced = true;
                Thread.Sleep(500);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
