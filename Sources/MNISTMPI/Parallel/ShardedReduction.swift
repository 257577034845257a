/// The sharded strategy (ZeRO stage 1): each rank computes its contiguous shard of the batch,
/// then a reduce-scatter leaves each rank the batch's gradient sums for its own 1/np slice of
/// the parameters only. Each rank takes the RMSprop step for that slice (1/np of the optimizer
/// work), and an allgather hands every rank the others' updated slices. The same
/// communication volume as a ring allreduce; the velocities of other slices are gathered only
/// for a checkpoint, which so stays independent of the rank count.
public final class ShardedReduction: ContiguousShards {
    public let shard: ShardSums
    /// This rank's slice of the gradient sums after the reduce-scatter.
    private let slice: FloatBuffer
    private let parts: GradientParts
    public let updates: [OwnedUpdate]
    /// The loss, correct and stop slots, summed over the ranks by a small allreduce.
    private let tailSums: FloatBuffer
    private let blocks: Blocks

    public init(comm: Communicator, parameterCount: Int) {
        shard = ShardSums(comm: comm, parameterCount: parameterCount)
        blocks = Blocks(count: parameterCount, ranks: comm.size, multiple: Blocks.cacheLine)
        slice = FloatBuffer(count: blocks.ranges[comm.rank].count)
        parts = GradientParts([UnsafePointer(slice.pointer)])
        updates = [parts.update(blocks.ranges[comm.rank])]
        tailSums = FloatBuffer(count: Tail.allCases.count)
    }

    public var name: String { "sharded" }

    public func reduce(stopRequested: Bool) {
        shard.markStop(stopRequested)
        shard.comm.reduceScatterSum(shard.sums, into: slice.pointer, blocks: blocks)
        tailSums.pointer.update(from: shard.sums + shard.parameterCount, count: tailSums.count)
        shard.comm.allreduceSum(tailSums.pointer, count: tailSums.count)
    }

    public var tail: UnsafePointer<Float> { UnsafePointer(tailSums.pointer) }

    public func shareWeights(_ parameters: FloatBuffer) {
        shard.comm.allgather(parameters.pointer, blocks: blocks)
    }

    public func gatherOptimizerState(_ velocity: FloatBuffer) {
        shard.comm.allgather(velocity.pointer, blocks: blocks)
    }
}
