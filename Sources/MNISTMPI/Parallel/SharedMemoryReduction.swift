/// The sharded strategy (ZeRO stage 1) for ranks on one machine, through memory they share
/// instead of messages. Each rank computes its contiguous shard of the batch, as in
/// `AllreduceReduction`, into its own shared segment; then
///
///     barrier     every rank's gradient sums are written
///     update      rank r adds up slice r of every rank's sums (in rank order), takes the RMSprop
///                 step for that slice, and publishes the slice's new weights in its segment,
///                 in one pass over the slice (`RMSprop.step(gradientParts:publishing:)`)
///     barrier     every slice is published
///     copy        each rank copies the other ranks' slices of the weights
///
/// Each gradient is read once, by the rank that owns its slice, with no copy into or out of
/// MPI's buffers; 1/np of the optimizer work per rank. The weights come out the same on every
/// rank (one rank computes each slice; the others copy its bits).
///
/// A segment holds the rank's gradient sums and `Tail` slots, then the new weights of its slice
/// (room for the largest slice). Nobody writes where another rank may still be reading: sums
/// are read before the second barrier and rewritten only after it; published weights are read
/// after it and rewritten only after the next step's first.
public final class SharedMemoryReduction: AllreduceReduction {
    private let blocks: Blocks
    /// Every rank's segment, in rank order.
    private let segments: [UnsafeMutablePointer<Float>]
    /// This rank's slice of every rank's gradient sums, for the update (allocated once).
    private let parts: UnsafeMutableBufferPointer<UnsafePointer<Float>?>
    private let tailSums: FloatBuffer

    public struct Unavailable: Error, Equatable {}

    /// Throws `Unavailable` when the ranks do not all share this machine's memory.
    public init(comm: Communicator, parameterCount: Int) throws {
        let blocks = Blocks(count: parameterCount, ranks: comm.size)
        let segmentCount = reductionBufferCount(parameterCount: parameterCount) + blocks.ranges[0].count
        guard let segments = comm.sharedSegments(count: segmentCount) else { throw Unavailable() }
        self.blocks = blocks
        self.segments = segments
        let mine = blocks.ranges[comm.rank].lowerBound
        parts = .allocate(capacity: comm.size)
        for (r, segment) in segments.enumerated() { parts[r] = UnsafePointer(segment + mine) }
        tailSums = FloatBuffer(count: Tail.allCases.count)
        super.init(comm: comm, parameterCount: parameterCount, sums: segments[comm.rank])
    }

    deinit { parts.deallocate() }

    /// Where `rank` publishes the new weights of its slice.
    private func published(by rank: Int) -> UnsafeMutablePointer<Float> {
        segments[rank] + reductionBufferCount(parameterCount: parameterCount)
    }

    public override var name: String { "shared-memory" }

    public override func reduce(stopRequested: Bool) {
        sums[parameterCount + Tail.stop.rawValue] = stopRequested ? 1 : 0
        comm.barrier()
        // The few tail slots, every rank adding all of them in rank order: the same bits everywhere.
        tailSums.fill(0)
        for segment in segments {
            for k in 0..<tailSums.count { tailSums[k] += segment[parameterCount + k] }
        }
    }

    public override var tail: UnsafePointer<Float> { UnsafePointer(tailSums.pointer) }

    public override func update(_ optimizer: RMSprop, parameters: FloatBuffer, velocity: FloatBuffer, batchSize: Int) {
        let mine = blocks.ranges[comm.rank]
        optimizer.step(weights: parameters.pointer + mine.lowerBound, velocity: velocity.pointer + mine.lowerBound,
                       gradientParts: UnsafeBufferPointer(parts), publishing: published(by: comm.rank),
                       batchSize: batchSize, count: mine.count)
        comm.barrier()
        for (r, slice) in blocks.ranges.enumerated() where r != comm.rank {
            (parameters.pointer + slice.lowerBound).update(from: published(by: r), count: slice.count)
        }
    }

    /// Each rank keeps its slice of the velocity up to date; a checkpoint gathers the others'.
    public override func gatherOptimizerState(_ velocity: FloatBuffer) {
        comm.allgather(velocity.pointer, blocks: blocks)
    }
}
