/// The plain strategy: each rank computes its contiguous shard of the batch into one buffer,
/// and one in-place `allreduceSum` of that whole buffer (gradients and tail) sums them.
/// `ShardedReduction` computes the shard the same way and sums and steps differently.
public class AllreduceReduction: GradientReduction {
    let comm: Communicator
    /// This rank's gradient sums, then the tail.
    let buffer: FloatBuffer
    let parameterCount: Int

    public init(comm: Communicator, parameterCount: Int) {
        self.comm = comm
        self.parameterCount = parameterCount
        buffer = FloatBuffer(count: reductionBufferCount(parameterCount: parameterCount))
    }

    public func rows(batchSize: Int) -> Range<Int> {
        Sharding.shard(batchSize: batchSize, ranks: comm.size, rank: comm.rank)
    }

    public var name: String { "allreduce" }

    public var piecesPerStep: Int { 1 }

    public func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let count = rows(batchSize: batchSize).count
        if count > 0 { compute(0..<count, buffer.pointer) } else { buffer.fill(0) }
    }

    public func reduce(stopRequested: Bool) {
        buffer[parameterCount + Tail.stop.rawValue] = stopRequested ? 1 : 0
        comm.allreduceSum(buffer.pointer, count: buffer.count)
    }

    public var tail: UnsafePointer<Float> { UnsafePointer(buffer.pointer + parameterCount) }

    public func update(_ optimizer: RMSprop, parameters: FloatBuffer, velocity: FloatBuffer, batchSize: Int) {
        optimizer.step(weights: parameters.pointer, velocity: velocity.pointer, gradientSums: buffer.pointer,
                       batchSize: batchSize, count: parameterCount)
    }

    /// Every rank steps all of the velocity: it is whole already.
    public func gatherOptimizerState(_ velocity: FloatBuffer) {}
}
