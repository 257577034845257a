/// The sharded strategy (ZeRO stage 1): each rank computes its contiguous shard of the batch as
/// in `AllreduceReduction`, then a reduce-scatter leaves each rank the batch's gradient sums
/// for its own 1/np slice of the parameters only. Each rank takes the RMSprop step for that
/// slice (1/np of the optimizer work), and an allgather hands every rank the others' updated
/// slices. The same communication volume as a ring allreduce; the velocities of other slices
/// are gathered only for a checkpoint, which so stays independent of the rank count.
public final class ShardedReduction: AllreduceReduction {
    /// This rank's slice of the gradient sums after the reduce-scatter.
    private let slice: FloatBuffer
    /// The loss, correct and stop slots, summed over the ranks by a small allreduce.
    private let tailSums: FloatBuffer
    private let blocks: Blocks

    public init(comm: Communicator, parameterCount: Int) {
        blocks = Blocks(count: parameterCount, ranks: comm.size)
        slice = FloatBuffer(count: blocks.ranges[comm.rank].count)
        tailSums = FloatBuffer(count: Tail.allCases.count)
        super.init(comm: comm, parameterCount: parameterCount)
    }

    public override func reduce(stopRequested: Bool) {
        sums[parameterCount + Tail.stop.rawValue] = stopRequested ? 1 : 0
        comm.reduceScatterSum(sums, into: slice.pointer, blocks: blocks)
        tailSums.pointer.update(from: sums + parameterCount, count: tailSums.count)
        comm.allreduceSum(tailSums.pointer, count: tailSums.count)
    }

    public override var name: String { "sharded" }

    public override var tail: UnsafePointer<Float> { UnsafePointer(tailSums.pointer) }

    public override func update(_ optimizer: RMSprop, parameters: FloatBuffer, velocity: FloatBuffer, batchSize: Int) {
        let mine = blocks.ranges[comm.rank]
        optimizer.step(
            weights: parameters.pointer + mine.lowerBound, velocity: velocity.pointer + mine.lowerBound,
            gradientSums: slice.pointer, batchSize: batchSize, count: mine.count)
    }

    public override func shareWeights(_ parameters: FloatBuffer) {
        comm.allgather(parameters.pointer, blocks: blocks)
    }

    public override func gatherOptimizerState(_ velocity: FloatBuffer) {
        comm.allgather(velocity.pointer, blocks: blocks)
    }
}
