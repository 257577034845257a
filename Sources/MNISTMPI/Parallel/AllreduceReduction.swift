/// The plain strategy: each rank computes its contiguous shard of the batch into one buffer,
/// one in-place `allreduceSum` of that whole buffer (gradients and tail) sums them, and every
/// rank steps all of the weights.
public final class AllreduceReduction: ContiguousShards {
    public let shard: ShardSums
    private let parts: GradientParts
    public let updates: [OwnedUpdate]

    public init(comm: Communicator, parameterCount: Int) {
        shard = ShardSums(comm: comm, parameterCount: parameterCount)
        parts = GradientParts([UnsafePointer(shard.sums)])
        updates = [parts.update(0..<parameterCount)]
    }

    public var name: String { "allreduce" }

    public func reduce(stopRequested: Bool) {
        shard.markStop(stopRequested)
        shard.comm.allreduceSum(shard.sums, count: reductionBufferCount(parameterCount: shard.parameterCount))
    }

    public var tail: UnsafePointer<Float> { UnsafePointer(shard.sums + shard.parameterCount) }

}
