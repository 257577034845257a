/// The sharded strategy (ZeRO stage 1) for ranks on one machine, through memory they share
/// instead of messages. Each rank computes its contiguous shard of the batch (`ShardSums`) into
/// its own shared segment; then
///
///     barrier     every rank's gradient sums are written
///     update      rank r's `OwnedUpdate`: the trainer adds up slice r of every rank's sums (in
///                 rank order) and takes the RMSprop step for that slice of the node's one copy
///                 of the weights, in one pass (`RMSprop.step(gradientParts:)`)
///     barrier     every slice is stepped
///
/// Each gradient is read once, by the rank that owns its slice, with no copy into or out of
/// MPI's buffers; 1/np of the optimizer work per rank, and no copy of the weights at all: the
/// node's ranks compute with the one copy they share (`NodeSegments.weights`).
///
/// A segment holds the rank's gradient sums and `Tail` slots. Nobody writes where another rank
/// may still be reading: sums are read before the second barrier and rewritten only after it;
/// the weights are read by forward and backward before the first barrier and written only
/// between the two.
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

/// A strategy whose ranks of a node each step one slice of the node's one copy of the weights.
protocol NodeSliceOwner: GradientReduction {
    var node: NodeSegments { get }
}

extension NodeSliceOwner {
    /// The node's one copy, in memory its ranks share; its first rank writes `initial` there.
    public func holdWeights(_ initial: FloatBuffer) -> FloatBuffer {
        precondition(initial.count == node.parameterCount)
        if node.node.rank == 0 { node.weights.update(from: initial.pointer, count: initial.count) }
        node.node.barrier()
        return FloatBuffer(viewing: node.weights, count: node.parameterCount)
    }

    /// The node's one copy of the pairs, beside its one copy of the weights.
    public func holdWeightPairs(count: Int) -> UnsafeMutablePointer<UInt32>? {
        guard let pairs = node.node.sharedBuffer(count: count) else { preconditionFailure("the ranks of one node share no memory") }
        return UnsafeMutableRawPointer(pairs).bindMemory(to: UInt32.self, capacity: count)
    }

    /// Once every rank of the node has stepped its slice, the weights are new for all.
    public func shareWeights(_ parameters: FloatBuffer) {
        node.node.barrier()
    }

    /// Each rank keeps its slice of the velocity up to date; a checkpoint gathers the node's.
    public func gatherOptimizerState(_ velocity: FloatBuffer) {
        node.node.allgather(velocity.pointer, blocks: node.slices)
    }
}

/// The memory the ranks of one node share, as `SharedMemoryReduction` describes it (each
/// rank's segment of gradient sums and `Tail` slots; the node's one copy of the weights), and
/// what the strategies on shared memory do with it.
struct NodeSegments {
    /// The node's ranks (a communicator whose ranks share memory).
    let node: Communicator
    let parameterCount: Int
    /// The parameters cut into one slice per rank of the node, which that rank steps.
    let slices: Blocks
    /// Every rank's segment, in node order.
    let segments: [UnsafeMutablePointer<Float>]
    /// The weights every rank of the node computes with.
    let weights: UnsafeMutablePointer<Float>

    /// Nil when `node`'s ranks do not all share this machine's memory (called by all together).
    /// - Parameter slices: the parts of the parameters the node's ranks step, one each (by
    ///   default the parameters cut evenly).
    init?(_ node: Communicator, parameterCount: Int, slices: Blocks? = nil) {
        guard let segments = node.sharedSegments(count: reductionBufferCount(parameterCount: parameterCount)),
            let weights = node.sharedBuffer(count: parameterCount)
        else { return nil }
        let slices = slices ?? Blocks(count: parameterCount, ranks: node.size, multiple: Blocks.cacheLine)
        (self.node, self.parameterCount, self.slices, self.segments, self.weights) = (node, parameterCount, slices, segments, weights)
    }

    /// This rank's slice, stepped from `parts`.
    func ownSlice(_ parts: GradientParts) -> OwnedUpdate {
        parts.update(slices.ranges[node.rank])
    }

    /// Floats `range` of every rank's segment, added in node order, into `target`.
    func sum(_ range: Range<Int>, into target: UnsafeMutablePointer<Float>) {
        sumInOrder(segments.count, count: range.count, into: target) { UnsafePointer(segments[$0] + range.lowerBound) }
    }

    /// The few tail slots of every rank, added in node order: the same bits on every rank.
    func sumTails(into sums: FloatBuffer) {
        sum(parameterCount..<(parameterCount + sums.count), into: sums.pointer)
    }
}
