/// The sharded strategy (ZeRO stage 1) across nodes, in two levels, so that only each node's
/// sum crosses the network. The parameters are cut into one slice per rank of a node; position
/// `r` on every node owns slice `r`. Each rank computes its contiguous shard of the batch
/// (`ShardSums`) into its segment of memory its node shares; then
///
///     barrier     every rank of the node has written its gradient sums
///     node sum    rank r adds up slice r of its node's sums (in node order)
///     ring        the ranks at position r of every node sum their node sums of slice r: a ring
///                 reduce-scatter then a ring allgather over `peers`, in `wire` precision,
///                 accumulating in float32 at every hop; the reduce-scatter's messages also
///                 carry every node's tail (loss, correct count, stop) in float32
///     update      rank r's `OwnedUpdate`: the trainer steps slice r of the node's one copy of
///                 the weights (`NodeSegments.weights`)
///     barrier     every slice is stepped
///
/// A node's link carries 2 (N - 1) / N of the gradient each way per step for N nodes (in
/// float32; half that in bfloat16), split over the node's ranks, which send in parallel. Each
/// piece of the sum is finished by one rank and sent bit for bit everywhere else (rounded to
/// the wire's precision first, also by its owner), so every rank takes the same step.
public final class HierarchicalReduction: ContiguousShards, NodeSliceOwner {
    public let shard: ShardSums
    /// The ranks at this rank's position on every node.
    private let peers: Communicator
    private let wire: WirePrecision
    /// The node's shared segments; the parameters cut over its ranks.
    let node: NodeSegments
    /// This rank's slice cut over the nodes (the ring's chunks).
    private let chunks: Blocks
    /// This rank's slice summed over its node, then over every node: its own gradient sums
    /// when it is alone on its node (nothing to add, so nothing to copy), else `sliceBuffer`.
    private let slice: UnsafeMutablePointer<Float>
    private let sliceBuffer: FloatBuffer
    private let parts: GradientParts
    public let updates: [OwnedUpdate]
    private let outgoing: UnsafeMutableRawBufferPointer
    private let incoming: UnsafeMutableRawBufferPointer
    /// Every node's tail sums, node after node, and their sum.
    private let nodeTails: FloatBuffer
    private let tailSums: FloatBuffer

    public init(comm: Communicator, parameterCount: Int, wire: WirePrecision) throws {
        let node = try comm.splitByEvenNodes(strategy: "hierarchical")
        let peers = comm.split(color: node.rank)
        guard let shared = NodeSegments(node, parameterCount: parameterCount) else {
            preconditionFailure("the ranks of one node share no memory")
        }
        let mine = shared.slices.ranges[node.rank]
        self.peers = peers
        self.wire = wire
        self.node = shared
        chunks = Blocks(count: mine.count, ranks: peers.size)
        sliceBuffer = FloatBuffer(count: node.size > 1 ? mine.count : 0)
        slice = node.size > 1 ? sliceBuffer.pointer : shared.segments[0] + mine.lowerBound
        parts = GradientParts([UnsafePointer(slice)])
        updates = [shared.ownSlice(parts)]
        let messageBytes = chunks.ranges[0].count * wire.bytesPerValue + Self.tailBytes
        outgoing = .allocate(byteCount: messageBytes, alignment: 64)
        incoming = .allocate(byteCount: messageBytes, alignment: 64)
        nodeTails = FloatBuffer(count: Tail.allCases.count * peers.size)
        tailSums = FloatBuffer(count: Tail.allCases.count)
        shard = ShardSums(comm: comm, parameterCount: parameterCount, sums: shared.segments[node.rank])
    }

    deinit {
        outgoing.deallocate()
        incoming.deallocate()
    }

    public var name: String { "hierarchical" }

    public func reduce(stopRequested: Bool) {
        shard.markStop(stopRequested)
        node.node.barrier()
        let mine = node.slices.ranges[node.node.rank]
        if node.node.size > 1 { node.sum(mine, into: slice) }
        node.sumTails(into: tailSums)
        ringAllreduce(slice)
    }

    public var tail: UnsafePointer<Float> { UnsafePointer(tailSums.pointer) }

    private static let tailBytes = Tail.allCases.count * MemoryLayout<Float>.size

    /// Sums `values` (this rank's slice) over `peers` in place: N - 1 ring steps leave node h
    /// the whole sum of chunk h (added up starting at node h + 1), N - 1 more hand every
    /// finished chunk around. The first N - 1 also pass every node's tail along (node h's own
    /// first, then each as it arrives), so that each node adds all N in node order: one
    /// exchange a step fewer than an allreduce of its own.
    private func ringAllreduce(_ values: UnsafeMutablePointer<Float>) {
        let n = peers.size, h = peers.rank
        guard n > 1 else { return }
        let (right, left) = ((h + 1) % n, (h + n - 1) % n)
        func ringIndex(_ k: Int) -> Int { ((k % n) + n) % n }
        func chunk(_ k: Int) -> Range<Int> { chunks.ranges[ringIndex(k)] }
        func tail(of k: Int) -> UnsafeMutablePointer<Float> { nodeTails.pointer + ringIndex(k) * Tail.allCases.count }
        tail(of: h).update(from: tailSums.pointer, count: Tail.allCases.count)
        /// Sends chunk `out` (and node `tails.out`'s tail) right while chunk `into` (and node
        /// `tails.in`'s tail) arrives from the left.
        func step(sending out: Range<Int>, receiving into: Range<Int>, tails: (out: Int, in: Int)? = nil) {
            let (sent, received) = (out.count * wire.bytesPerValue, into.count * wire.bytesPerValue)
            let extra = tails == nil ? 0 : Self.tailBytes
            wire.encode(values + out.lowerBound, count: out.count, into: outgoing.baseAddress!)
            if let tails { (outgoing.baseAddress! + sent).copyMemory(from: tail(of: tails.out), byteCount: extra) }
            peers.sendReceive(
                UnsafeRawBufferPointer(rebasing: outgoing[0..<(sent + extra)]), to: right,
                UnsafeMutableRawBufferPointer(rebasing: incoming[0..<(received + extra)]), from: left)
            if let tails {
                UnsafeMutableRawPointer(tail(of: tails.in)).copyMemory(from: incoming.baseAddress! + received, byteCount: extra)
            }
        }
        for s in 0..<(n - 1) {
            let into = chunk(h - s - 2)
            step(sending: chunk(h - s - 1), receiving: into, tails: (out: h - s, in: h - s - 1))
            wire.decodeAdding(incoming.baseAddress!, to: values + into.lowerBound, count: into.count)
        }
        tailSums.pointer.update(from: nodeTails.pointer, count: Tail.allCases.count)
        for other in 1..<n {
            for k in 0..<Tail.allCases.count { tailSums[k] += tail(of: other)[k] }
        }
        let own = chunk(h)
        wire.round(values + own.lowerBound, count: own.count)
        for s in 0..<(n - 1) {
            let into = chunk(h - s - 1)
            step(sending: chunk(h - s), receiving: into)
            wire.decode(incoming.baseAddress!, into: values + into.lowerBound, count: into.count)
        }
    }
}
