/// How the ranks sum their gradients: the `--reduction` strategies (one `GradientReduction`
/// file each in this folder), spelled as the flag.
public enum ReductionStrategy: String, Sendable, CaseIterable {
    /// The strategy the step model predicts fastest for the job's layout
    /// (`AutomaticReduction`); `allreduce` on hosts of different rank counts.
    case auto
    /// One in-place allreduce of each rank's shard sums; every rank steps all weights.
    case allreduce
    /// A reduce-scatter, each rank's optimizer step on its slice, an allgather (ZeRO-1).
    case sharded
    /// The sharded step through memory shared by ranks on one machine (no messages).
    case sharedMemory = "shared-memory"
    /// The sharded step over nodes: shared memory on each, only the node sums between them.
    case hierarchical
    /// Hosts exchange the batch's hidden-layer gradients, not the first layer's gradient,
    /// and each rank forms its rows of that from the whole batch.
    case factored

    /// The strategy, for `comm`'s rank, training `architecture` in batches of up to
    /// `largestBatch`, sending `wire` between nodes. Not for `auto`: choose one first.
    func make(comm: Communicator, architecture: Architecture, largestBatch: Int, wire: WirePrecision) throws
        -> GradientReduction
    {
        let parameterCount = architecture.parameterCount
        switch self {
        case .allreduce:
            return AllreduceReduction(comm: comm, parameterCount: parameterCount)
        case .sharded:
            return ShardedReduction(comm: comm, parameterCount: parameterCount)
        case .sharedMemory:
            return try SharedMemoryReduction(comm: comm, parameterCount: parameterCount)
        case .hierarchical:
            return try HierarchicalReduction(comm: comm, parameterCount: parameterCount, wire: wire)
        case .factored:
            return try FactoredReduction(comm: comm, architecture: architecture, capacity: largestBatch, wire: wire)
        case .auto:
            preconditionFailure("auto is a choice among the strategies, not one")
        }
    }
}
