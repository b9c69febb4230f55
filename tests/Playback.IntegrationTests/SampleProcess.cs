using System.Diagnostics;

namespace Playback.IntegrationTests;

/// <summary>
/// A sample built with the tests (<c>samples/{name}/bin/…/{name}.dll</c>), run as a process without the machine's SignalWire
/// variables and with its own playback store in a temp directory (removed afterwards): parallel runs never share the
/// sample's default <c>playback.db</c>.
/// </summary>
internal sealed class SampleProcess : IAsyncDisposable
{
    private static readonly string[] HiddenVariables =
        ["SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE", "SIGNALWIRE_SIGNING_KEY", "PLAYBACK_BASE_URL", "PLAYBACK_CALL_ID", "PLAYBACK_PUBLIC_URL"];

    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _errors;

    private SampleProcess(Process process, string storeDirectory)
    {
        _process = process;
        StoreDirectory = storeDirectory;
        _output = process.StandardOutput.ReadToEndAsync();
        _errors = process.StandardError.ReadToEndAsync();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The temp directory of this process's SQLite store (<c>playback.db</c>).</summary>
    public string StoreDirectory { get; }

    /// <summary>The configuration variable that points a sample's store elsewhere than its default <c>playback.db</c>.</summary>
    public const string StoreVariable = "Playback__Persistence__ConnectionString";

    public int ExitCode => _process.ExitCode;

    public static SampleProcess Start(string name, params string[] arguments) => Start(name, new Dictionary<string, string>(), arguments);

    /// <summary>Starts the sample with <paramref name="environment"/> set (after the machine's SignalWire variables were removed).</summary>
    public static SampleProcess Start(string name, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var dll = Path.Combine(RepositoryRoot(), "samples", name, "bin", BuildConfiguration(), "net10.0", name + ".dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");
        var start = new ProcessStartInfo("dotnet", [dll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var variable in HiddenVariables)
        {
            start.Environment.Remove(variable);
        }

        var store = Path.Combine(Path.GetTempPath(), "playback-sample-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(store);
        start.Environment[StoreVariable] = $"Data Source={Path.Combine(store, "playback.db")}";
        foreach (var (variable, value) in environment)
        {
            start.Environment[variable] = value;
        }

        return new SampleProcess(Process.Start(start)!, store);
    }

    /// <summary>Waits for the process to exit; kills it (and fails) when it runs longer than <paramref name="patience"/>.</summary>
    public async Task WaitForExitAsync(TimeSpan patience)
    {
        using var cts = new CancellationTokenSource(patience);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw;
        }
    }

    /// <summary>Everything it wrote, once it has exited (standard output, then standard error).</summary>
    public async Task<string> OutputAsync() => await _output + "\n" + await _errors;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(StoreDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private static string BuildConfiguration() =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Playback.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Playback.sln not found");
    }
}
