using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Playback.Testing;

/// <summary>
/// A throwaway PostgreSQL server for tests: <c>initdb</c> in a fresh temporary directory, <c>pg_ctl start</c> listening
/// only on 127.0.0.1 (a free port, another one when it was taken meanwhile) and on a Unix socket in that directory, trust
/// authentication, one database. Run as the <c>postgres</c> user when this process is root (PostgreSQL refuses root).
/// <see cref="DisposeAsync"/> stops it (<c>pg_ctl stop -m immediate</c>) and deletes the directory. The server binaries
/// come from <c>pg_config --bindir</c> (or <c>/usr/lib/postgresql/N/bin</c>, or <c>PLAYBACK_PG_BINDIR</c>); when they are
/// missing, starting fails with a message saying how to install them (<c>.ci/run</c> installs the Debian package).
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Overrides where <c>initdb</c>, <c>pg_ctl</c> and <c>createdb</c> are looked for.</summary>
    public const string BinDirVariable = "PLAYBACK_PG_BINDIR";

    private const string Superuser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _binDir;
    private readonly bool _asPostgres;
    private int _disposed;

    private PostgresServer(string binDir, bool asPostgres, string directory)
    {
        _binDir = binDir;
        _asPostgres = asPostgres;
        Directory = directory;
    }

    /// <summary>The temporary directory holding the data directory, the server log and the Unix socket.</summary>
    public string Directory { get; }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; private set; }

    /// <summary>The database created at start.</summary>
    public string Database { get; private set; } = string.Empty;

    /// <summary>The postmaster's process id (from <c>postmaster.pid</c>).</summary>
    public int ProcessId { get; private set; }

    /// <summary>Npgsql connection string for <see cref="Database"/> (superuser <c>postgres</c>, no password: trust).</summary>
    public string ConnectionString => ConnectionStringFor(Database);

    private string DataDirectory => Path.Combine(Directory, "data");

    private string LogFile => Path.Combine(Directory, "server.log");

    /// <summary>Initialises, starts and waits for a server, then creates <paramref name="database"/>.</summary>
    /// <param name="database">Name of the database to create.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException">The binaries are missing, or a step failed (the message holds its output and the server log).</exception>
    public static async Task<PostgresServer> StartAsync(string database = "playback")
    {
        var binDir = FindBinDir();
        var asPostgres = Environment.IsPrivilegedProcess;
        var directory = System.IO.Directory.CreateTempSubdirectory("playback-pg-").FullName;
        var server = new PostgresServer(binDir, asPostgres, directory);
        try
        {
            if (asPostgres)
            {
                await RunAsync("chown", [Superuser + ":", directory]);
            }

            await server.RunPgAsync("initdb", "-D", server.DataDirectory, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-instructions");
            server.Port = await Loopback.RetryOnPortConflictAsync(server.StartOnAsync);
            server.ProcessId = int.Parse(File.ReadLines(Path.Combine(server.DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
            await server.RunPgAsync("pg_isready", "-h", "127.0.0.1", "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-t", "30");
            await server.CreateDatabaseAsync(database);
            server.Database = database;
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates another database on this server (one per test keeps tests apart).</summary>
    /// <param name="name">The database name.</param>
    /// <returns>Its Npgsql connection string.</returns>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await RunPgAsync("createdb", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", Superuser, name);
        return ConnectionStringFor(name);
    }

    /// <summary>The connection string of a database on this server.</summary>
    /// <param name="database">The database name.</param>
    /// <returns>Npgsql format: host, port, user, database (with Npgsql's default connection pooling, as a service has it).</returns>
    public string ConnectionStringFor(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username={Superuser};Database={database}";

    /// <summary>Stops the server at once (<c>pg_ctl stop -m immediate</c>) and deletes its directory.</summary>
    /// <returns>A task that completes when both are done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await RunPgAsync("pg_ctl", "stop", "-D", DataDirectory, "-m", "immediate", "-w", "-t", "30");
            }

            // The pools hold connections to the stopped server: drop them, so that a later open fails instead of taking one.
            Npgsql.NpgsqlConnection.ClearAllPools();
        }
        finally
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    /// <summary>One attempt to start on <paramref name="port"/>; throws (with the server log) when it fails, e.g. the port was taken.</summary>
    private async Task<int> StartOnAsync(int port)
    {
        var options = $"-p {port.ToString(CultureInfo.InvariantCulture)} -k {Directory} -c listen_addresses=127.0.0.1";
        try
        {
            await RunPgAsync("pg_ctl", "start", "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60", "-o", options);
            return port;
        }
        catch (InvalidOperationException e)
        {
            var log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile) : "(no server log)";
            throw new InvalidOperationException($"{e.Message}\nserver log ({LogFile}):\n{log}", e);
        }
    }

    private Task<string> RunPgAsync(string tool, params string[] args)
    {
        var path = Path.Combine(_binDir, tool);
        return _asPostgres ? RunAsync("runuser", ["-u", Superuser, "--", path, .. args], Directory) : RunAsync(path, args, Directory);
    }

    /// <summary>Runs a command to its end; a non-zero exit or a hang past the timeout throws with its output.</summary>
    private static async Task<string> RunAsync(string file, IReadOnlyList<string> args, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.WorkingDirectory = workingDirectory ?? string.Empty;
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var command = file + " " + string.Join(' ', args);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {command}.");
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{command} did not finish within {CommandTimeout.TotalSeconds:F0} s.");
        }

        output.Append(await stdout).Append(await stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} exited with {process.ExitCode}:\n{output}");
        }

        return output.ToString();
    }

    /// <summary>Where the server binaries are: <c>PLAYBACK_PG_BINDIR</c>, <c>pg_config --bindir</c>, or the newest <c>/usr/lib/postgresql/N/bin</c>.</summary>
    private static string FindBinDir()
    {
        static bool HasServer(string? dir) => !string.IsNullOrWhiteSpace(dir) && File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        var candidates = new List<string?> { Environment.GetEnvironmentVariable(BinDirVariable) };
        try
        {
            using var pgConfig = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true });
            candidates.Add(pgConfig?.StandardOutput.ReadToEnd().Trim());
            pgConfig?.WaitForExit();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No pg_config on PATH (it comes with libpq-dev): the Debian layout below.
        }

        if (System.IO.Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        return candidates.FirstOrDefault(HasServer)
            ?? throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl) were not found via $" + BinDirVariable + ", pg_config --bindir or /usr/lib/postgresql/N/bin. "
                + "Install them with `apt-get install -y postgresql` (.ci/run does this when they are missing), or set " + BinDirVariable + " to their folder.");
    }
}
