/// The plain strategy: each rank computes its contiguous shard of the batch into one buffer,
/// and one in-place `allreduceSum` of that whole buffer (gradients and tail) sums them.
/// `ShardedReduction` and `SharedMemoryReduction` compute the shard the same way and sum and
/// step differently.
public class AllreduceReduction: GradientReduction {
    let comm: Communicator
    let parameterCount: Int
    /// This rank's gradient sums, then the tail (`reductionBufferCount` floats).
    let sums: UnsafeMutablePointer<Float>
    /// The memory of `sums`, unless a subclass placed them elsewhere.
    private let storage: FloatBuffer?

    /// - Parameter sums: where to keep this rank's sums; nil: a buffer of its own.
    public init(comm: Communicator, parameterCount: Int, sums: UnsafeMutablePointer<Float>? = nil) {
        self.comm = comm
        self.parameterCount = parameterCount
        storage = sums == nil ? FloatBuffer(count: reductionBufferCount(parameterCount: parameterCount)) : nil
        self.sums = sums ?? storage!.pointer
    }

    public var name: String { "allreduce" }

    public func rows(batchSize: Int) -> Range<Int> {
        Sharding.shard(batchSize: batchSize, ranks: comm.size, rank: comm.rank)
    }

    public var piecesPerStep: Int { 1 }

    public func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let count = rows(batchSize: batchSize).count
        if count > 0 {
            compute(0..<count, sums)
        } else {
            sums.update(repeating: 0, count: reductionBufferCount(parameterCount: parameterCount))
        }
    }

    public func reduce(stopRequested: Bool) {
        sums[parameterCount + Tail.stop.rawValue] = stopRequested ? 1 : 0
        comm.allreduceSum(sums, count: reductionBufferCount(parameterCount: parameterCount))
    }

    public var tail: UnsafePointer<Float> { UnsafePointer(sums + parameterCount) }

    public func update(_ optimizer: RMSprop, parameters: FloatBuffer, velocity: FloatBuffer, batchSize: Int) {
        optimizer.step(
            weights: parameters.pointer, velocity: velocity.pointer, gradientSums: sums,
            batchSize: batchSize, count: parameterCount)
    }

    /// Every rank steps all of the weights: they are the same everywhere already.
    public func shareWeights(_ parameters: FloatBuffer) {}

    /// Every rank steps all of the velocity: it is whole already.
    public func gatherOptimizerState(_ velocity: FloatBuffer) {}
}
