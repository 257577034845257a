/// The sharded strategy (ZeRO stage 1) for ranks on one machine, through memory they share
/// instead of messages. Each rank computes its contiguous shard of the batch (`ShardSums`) into
/// its own shared segment; then
///
///     barrier     every rank's gradient sums are written
///     update      rank r's `OwnedUpdate`: the trainer adds up slice r of every rank's sums (in
///                 rank order), takes the RMSprop step for that slice, and publishes the slice's
///                 new weights in its segment, in one pass (`RMSprop.step(gradientParts:publishing:)`)
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
public final class SharedMemoryReduction: ContiguousShards, NodeSliceOwner {
    public let shard: ShardSums
    let node: NodeSegments
    /// This rank's slice of every rank's gradient sums, for the update.
    private let parts: GradientParts
    public let updates: [OwnedUpdate]
    private let tailSums: FloatBuffer

    public struct Unavailable: Error, Equatable {}

    /// Throws `Unavailable` when the ranks do not all share this machine's memory.
    public init(comm: Communicator, parameterCount: Int) throws {
        guard let node = NodeSegments(comm, parameterCount: parameterCount) else { throw Unavailable() }
        self.node = node
        let mine = node.slices.ranges[comm.rank].lowerBound
        parts = GradientParts(node.segments.map { UnsafePointer($0 + mine) })
        updates = [node.ownSlice(parts)]
        tailSums = FloatBuffer(count: Tail.allCases.count)
        shard = ShardSums(comm: comm, parameterCount: parameterCount, sums: node.segments[comm.rank])
    }

    public var name: String { "shared-memory" }

    public func reduce(stopRequested: Bool) {
        shard.markStop(stopRequested)
        node.node.barrier()
        node.sumTails(into: tailSums)
    }

    public var tail: UnsafePointer<Float> { UnsafePointer(tailSums.pointer) }

}

/// A strategy whose ranks of a node each step one slice of `node` and publish it there.
protocol NodeSliceOwner: GradientReduction {
    var node: NodeSegments { get }
}

extension NodeSliceOwner {
    /// After every rank of the node has published its slice: the others' slices.
    public func shareWeights(_ parameters: FloatBuffer) {
        node.node.barrier()
        node.copyOtherSlices(into: parameters)
    }

    /// Each rank keeps its slice of the velocity up to date; a checkpoint gathers the node's.
    public func gatherOptimizerState(_ velocity: FloatBuffer) {
        node.node.allgather(velocity.pointer, blocks: node.slices)
    }
}

/// The segments the ranks of one node share, laid out as `SharedMemoryReduction` describes
/// (gradient sums, `Tail` slots, then the published weights of the rank's slice), and what
/// both sharded strategies on shared memory do with them.
struct NodeSegments {
    /// The node's ranks (a communicator whose ranks share memory).
    let node: Communicator
    let parameterCount: Int
    /// The parameters cut into one slice per rank of the node.
    let slices: Blocks
    /// Every rank's segment, in node order.
    let segments: [UnsafeMutablePointer<Float>]

    /// Nil when `node`'s ranks do not all share this machine's memory (called by all together).
    /// - Parameter slices: the parts of the parameters the node's ranks step, one each (by
    ///   default the parameters cut evenly).
    init?(_ node: Communicator, parameterCount: Int, slices: Blocks? = nil) {
        let slices = slices ?? Blocks(count: parameterCount, ranks: node.size)
        let count = reductionBufferCount(parameterCount: parameterCount) + slices.ranges.map(\.count).max()!
        guard let segments = node.sharedSegments(count: count) else { return nil }
        (self.node, self.parameterCount, self.slices, self.segments) = (node, parameterCount, slices, segments)
    }

    /// Where `rank` publishes the new weights of its slice.
    func published(by rank: Int) -> UnsafeMutablePointer<Float> {
        segments[rank] + reductionBufferCount(parameterCount: parameterCount)
    }

    /// This rank's slice, stepped from `parts` and published for the node's other ranks.
    func ownSlice(_ parts: GradientParts) -> OwnedUpdate {
        parts.update(slices.ranges[node.rank], publishing: published(by: node.rank))
    }

    /// Floats `range` of every rank's segment, added in node order, into `target`.
    func sum(_ range: Range<Int>, into target: UnsafeMutablePointer<Float>) {
        sumInOrder(segments.count, count: range.count, into: target) { UnsafePointer(segments[$0] + range.lowerBound) }
    }

    /// The few tail slots of every rank, added in node order: the same bits on every rank.
    func sumTails(into sums: FloatBuffer) {
        sum(parameterCount..<(parameterCount + sums.count), into: sums.pointer)
    }

    /// After the barrier that follows publishing: the other ranks' slices of the new weights.
    func copyOtherSlices(into parameters: FloatBuffer) {
        for (r, slice) in slices.ranges.enumerated() where r != node.rank {
            (parameters.pointer + slice.lowerBound).update(from: published(by: r), count: slice.count)
        }
    }
}
