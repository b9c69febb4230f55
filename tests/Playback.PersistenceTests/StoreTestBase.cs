namespace Playback.PersistenceTests;

/// <summary>A test class over one real store and the emulator stack; the derived classes choose SQLite or PostgreSQL.</summary>
public abstract class StoreTestBase : IAsyncLifetime
{
    protected TestStore Store { get; private set; } = null!;

    protected PersistenceStack Stack { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = await NewStoreAsync();
        Stack = await PersistenceStack.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Stack.DisposeAsync();
        await Store.DisposeAsync();
    }

    protected abstract Task<TestStore> NewStoreAsync();
}
