// The cluster tests start several ActorSystems each: run the classes one after another (2 cores).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
