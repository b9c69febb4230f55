using Akka.Hosting;
using Akka.Persistence.Sql.Hosting;

namespace Playback.Hosting;

/// <summary>The playback store on the hosted path: Akka.Persistence.Sql.Hosting's journal and snapshot options.</summary>
internal static class PlaybackStoreHosting
{
    /// <summary>
    /// Adds the store's journal and snapshot store (plugin identifier <c>playback-sql</c>, never the default plugins) through
    /// <c>WithSqlPersistence</c>, so that they share the builder's <c>MultiDataOptionsSetup</c> with any other SQL plugin
    /// of the app; then what those options cannot say (the serializer's binding, the journal's tuning) over their defaults.
    /// </summary>
    /// <param name="builder">The Akka.Hosting builder.</param>
    /// <param name="persistence">The store; nothing is added when null.</param>
    /// <returns>The builder.</returns>
    public static AkkaConfigurationBuilder WithPlaybackStore(this AkkaConfigurationBuilder builder, PlaybackPersistenceSettings? persistence)
    {
        if (persistence is null)
        {
            return builder;
        }

        var store = new PlaybackStore(persistence);
        var sqlite = persistence.Provider == PlaybackPersistenceProvider.Sqlite;
        var connection = SqliteDurability.OptionsFor(persistence);
        var journal = new SqlJournalOptions(isDefaultPlugin: false, identifier: PlaybackStore.PluginIdentifier)
        {
            ConnectionString = persistence.ConnectionString,
            ProviderName = store.ProviderName,
            AutoInitialize = persistence.AutoInitialize,
            Serializer = PlaybackStore.SerializerName,
            DatabaseOptions = sqlite ? JournalDatabaseOptions.Sqlite : JournalDatabaseOptions.PostgreSql,
            DataOptions = connection,
        };
        var snapshots = new SqlSnapshotOptions(isDefaultPlugin: false, identifier: PlaybackStore.PluginIdentifier)
        {
            ConnectionString = persistence.ConnectionString,
            ProviderName = store.ProviderName,
            AutoInitialize = persistence.AutoInitialize,
            Serializer = PlaybackStore.SerializerName,
            DatabaseOptions = sqlite ? SnapshotDatabaseOptions.Sqlite : SnapshotDatabaseOptions.PostgreSql,
            DataOptions = connection,
        };
        return builder
            .WithSqlPersistence(journal, snapshots)
            .AddHocon(store.TuningConfig(), HoconAddMode.Prepend);
    }
}
