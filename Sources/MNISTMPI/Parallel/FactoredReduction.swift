/// The factored strategy (sufficient-factor exchange): hosts swap the batch's hidden-layer
/// gradients instead of the first layer's gradient. That gradient is the sum over the batch of
/// outer products x_i d_i (784 input pixels, 512 hidden-layer gradients of sample i); every host
/// holds the training set and draws the same permutation, so it already has every x_i and needs
/// only the other hosts' d_i (128 x 512 values a batch) to form the whole-batch gradient
/// itself, instead of 784 x 512 summed over the network.
///
/// Host h takes its `Sharding` share of each batch, cut again over its R ranks. A step:
///
///     compute     each rank: forward and backward of its rows up to d, written straight into
///                 the node's shared copy of the batch's d; the second layer's gradient into its
///                 segment (`NodeSegments`)
///     barrier
///     node sum    the node's first rank adds the second layer's gradients and the tails of the
///                 node's ranks (in node order) into its host's slot of shared memory
///     exchange    the ranks at position r of every host allgather their d rows in a ring, in
///                 `wire` precision (position 0 also carries its host's second-layer sum, float32)
///     barrier
///     sum         every rank adds the hosts' second-layer sums in host order
///     first layer each rank computes its rows of the kernel's gradient (input pixels, cut over
///                 the node's ranks) over the whole batch, and all of the bias's (`Trainer`)
///     update      each rank steps its kernel rows of the node's one copy of the weights; the
///                 node's last rank also steps every tensor after the kernel
///     barrier
///
/// Every host computes the same bits: the sums go in host order, the whole batch's product is
/// the same BLAS call everywhere, and with bfloat16 on the wire a host rounds its own d rows as
/// the others receive them. A host's link carries (N - 1) / N of the batch's d each way, plus
/// the other hosts' second-layer sums (20 KB each).
public final class FactoredReduction: GradientReduction, NodeSliceOwner {
    /// Second-layer gradients and tails; the weights. Each rank's slice is its kernel rows (the
    /// input pixels its `WholeBatchFirstLayer` covers), the last rank's also every tensor after.
    let node: NodeSegments
    /// The ranks at this rank's position on every node.
    private let peers: Communicator
    private let wire: WirePrecision
    private let architecture: Architecture
    /// Hosts, this one's index among them, and the index of every rank of `peers`' host.
    private let hosts: Int
    private let host: Int
    private let hostOfPeer: [Int]
    /// In memory the node shares: the batch's d (capacity x hidden), then every host's sum of
    /// the second layer's gradients and tail (`secondLayer` floats each).
    private let shared: UnsafeMutablePointer<Float>
    private let capacity: Int
    /// This rank's kernel rows of the first layer's gradient.
    private let kernelRows: FloatBuffer
    /// The gradient sums of every tensor but the first kernel (laid out as the parameters from
    /// the first bias on), then the `Tail` slots.
    private let rest: FloatBuffer
    private let kernelParts: GradientParts
    private let restParts: GradientParts
    /// This rank's kernel rows, and on the node's last rank every tensor after the kernel.
    public let updates: [OwnedUpdate]
    private let outgoing: UnsafeMutableRawBufferPointer
    private let incoming: UnsafeMutableRawBufferPointer
    /// The size of the batch under way (from `forEachPiece`).
    private var batchSize = 0

    /// - Parameter capacity: the largest batch.
    public init(comm: Communicator, architecture: Architecture, capacity: Int, wire: WirePrecision) throws {
        let node = try comm.splitByEvenNodes(strategy: "factored")
        let peers = comm.split(color: node.rank)
        // The host's index: its first rank's among the first ranks of every host.
        let index = FloatBuffer([node.rank == 0 ? Float(peers.rank) : 0])
        node.allreduceSum(index.pointer, count: 1)
        let hostOfPeer = FloatBuffer(count: peers.size)
        hostOfPeer[peers.rank] = index[0]
        peers.allreduceSum(hostOfPeer.pointer, count: peers.size)
        let a = architecture
        let kernelSlices = Blocks(count: a.inputs, ranks: node.size).ranges.map { ($0.lowerBound * a.hidden)..<($0.upperBound * a.hidden) }
        let slices = kernelSlices.dropLast() + [kernelSlices.last!.lowerBound..<a.parameterCount]
        guard let segments = NodeSegments(node, parameterCount: a.parameterCount, slices: Blocks(ranges: Array(slices))) else {
            preconditionFailure("the ranks of one node share no memory")
        }
        let secondLayer = reductionBufferCount(parameterCount: a.parameterCount) - a.w2.offset
        guard let exchange = node.sharedSegments(count: capacity * a.hidden + peers.size * secondLayer) else {
            preconditionFailure("the ranks of one node share no memory")
        }
        (self.node, self.peers, self.wire, self.architecture, self.capacity) = (segments, peers, wire, a, capacity)
        (hosts, host, self.hostOfPeer) = (peers.size, Int(index[0]), hostOfPeer.array.map { Int($0) })
        shared = exchange[0]
        kernelRows = FloatBuffer(count: kernelSlices[node.rank].count)
        rest = FloatBuffer(count: reductionBufferCount(parameterCount: a.parameterCount) - a.b1.offset)
        kernelParts = GradientParts([UnsafePointer(kernelRows.pointer)])
        restParts = GradientParts([UnsafePointer(rest.pointer)])
        updates =
            [kernelParts.update(kernelSlices[node.rank])]
            + (node.rank == node.size - 1 ? [restParts.update(a.b1.offset..<a.parameterCount)] : [])
        let mostRows = divideRoundingUp(divideRoundingUp(capacity, hosts), node.size)
        let messageBytes = mostRows * a.hidden * wire.bytesPerValue + secondLayer * MemoryLayout<Float>.size
        outgoing = .allocate(byteCount: messageBytes, alignment: 64)
        incoming = .allocate(byteCount: messageBytes, alignment: 64)
    }

    deinit {
        outgoing.deallocate()
        incoming.deallocate()
    }

    public var name: String { "factored" }

    /// Every rank loads the whole batch: its kernel rows of the gradient need every sample.
    public func rows(batchSize: Int) -> Range<Int> { 0..<batchSize }

    public var piecesPerStep: Int { 1 }

    /// The rows of a batch that position `position` of host `host` computes.
    private func rows(host: Int, position: Int) -> Range<Int> {
        let onHost = Sharding.shard(batchSize: batchSize, ranks: hosts, rank: host)
        let mine = Sharding.shard(batchSize: onHost.count, ranks: node.node.size, rank: position)
        return (onHost.lowerBound + mine.lowerBound)..<(onHost.lowerBound + mine.upperBound)
    }

    private var secondLayer: Int { reductionBufferCount(parameterCount: architecture.parameterCount) - architecture.w2.offset }

    /// Where host `h`'s sum of the second layer's gradients and tail is kept.
    private func hostSums(_ h: Int) -> UnsafeMutablePointer<Float> {
        shared + capacity * architecture.hidden + h * secondLayer
    }

    private var ownSegment: UnsafeMutablePointer<Float> { node.segments[node.node.rank] }

    public func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        self.batchSize = batchSize
        let mine = rows(host: host, position: node.node.rank)
        if mine.isEmpty {
            (ownSegment + architecture.w2.offset).update(repeating: 0, count: secondLayer)
        } else {
            compute(mine, ownSegment)
        }
    }

    public var hiddenGradients: UnsafeMutablePointer<Float>? { shared }

    public var firstLayer: WholeBatchFirstLayer? {
        let kernel = node.slices.ranges[node.node.rank].clamped(to: 0..<architecture.b1.offset)
        let inputs = (kernel.lowerBound / architecture.hidden)..<(kernel.upperBound / architecture.hidden)
        return WholeBatchFirstLayer(inputs: inputs, kernel: kernelRows.pointer, bias: rest.pointer)
    }

    public func reduce(stopRequested: Bool) {
        let a = architecture, n = a.parameterCount
        ownSegment[n + Tail.stop.rawValue] = stopRequested ? 1 : 0
        let mine = rows(host: host, position: node.node.rank)
        if hosts > 1 { wire.round(shared + mine.lowerBound * a.hidden, count: mine.count * a.hidden) }
        node.node.barrier()
        if node.node.rank == 0 { node.sum(a.w2.offset..<(a.w2.offset + secondLayer), into: hostSums(host)) }
        ringAllgather()
        node.node.barrier()
        sumInOrder(hosts, count: secondLayer, into: rest.pointer + (a.w2.offset - a.b1.offset)) { UnsafePointer(hostSums($0)) }
    }

    public var tail: UnsafePointer<Float> { UnsafePointer(rest.pointer + (architecture.parameterCount - architecture.b1.offset)) }

    /// Hands every host's d rows of this position around the ring of `peers` (N - 1 steps, each
    /// passing on what arrived in the last), with the hosts' second-layer sums from position 0.
    private func ringAllgather() {
        let n = peers.size, p = peers.rank, hidden = architecture.hidden
        guard n > 1 else { return }
        let carriesSums = node.node.rank == 0
        let sumBytes = carriesSums ? secondLayer * MemoryLayout<Float>.size : 0
        func block(_ k: Int) -> (host: Int, rows: Range<Int>) {
            let h = hostOfPeer[((k % n) + n) % n]
            return (h, rows(host: h, position: node.node.rank))
        }
        for s in 0..<(n - 1) {
            let (out, into) = (block(p - s), block(p - s - 1))
            let (sent, received) = (out.rows.count * hidden * wire.bytesPerValue, into.rows.count * hidden * wire.bytesPerValue)
            wire.encode(shared + out.rows.lowerBound * hidden, count: out.rows.count * hidden, into: outgoing.baseAddress!)
            if carriesSums { (outgoing.baseAddress! + sent).copyMemory(from: hostSums(out.host), byteCount: sumBytes) }
            peers.sendReceive(
                UnsafeRawBufferPointer(rebasing: outgoing[0..<(sent + sumBytes)]), to: (p + 1) % n,
                UnsafeMutableRawBufferPointer(rebasing: incoming[0..<(received + sumBytes)]), from: (p + n - 1) % n)
            wire.decode(incoming.baseAddress!, into: shared + into.rows.lowerBound * hidden, count: into.rows.count * hidden)
            if carriesSums {
                UnsafeMutableRawPointer(hostSums(into.host)).copyMemory(from: incoming.baseAddress! + received, byteCount: sumBytes)
            }
        }
    }
}
