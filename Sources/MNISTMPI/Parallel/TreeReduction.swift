/// Bitwise-reproducible gradient sums, whatever the number of ranks.
///
/// Every global batch is cut into a fixed number of micro-shards (by the same rule as
/// `Sharding`, so 128 -> 8 x 16 and 96 -> 8 x 12). Each micro-shard's gradient is computed on
/// its own (its rows' sum is one BLAS call whose shape does not depend on the rank count), and
/// the micro-shard sums are added in one fixed binary tree:
///
///     ((m0 + m1) + (m2 + m3)) + ((m4 + m5) + (m6 + m7))
///
/// A rank owns an aligned subtree of micro-shards (np must be a power of two dividing their
/// number), sums it locally in that shape, then climbs the rest of the tree by recursive
/// doubling: at level k it swaps its partial sum with rank `rank ^ 2^k` and both add. Float
/// addition is commutative, so both partners get the same bits, and every rank count computes
/// the very same additions.
public struct MicroShards: Sendable, Equatable {
    /// Micro-shards per global batch.
    public let count: Int

    public enum ConfigurationError: Error, Equatable {
        /// The rank count is not a power of two dividing the number of micro-shards.
        case ranks(Int, microShards: Int)
    }

    public init(count: Int, ranks: Int) throws {
        guard count > 0, ranks > 0, ranks <= count, count % ranks == 0, ranks & (ranks - 1) == 0,
            count & (count - 1) == 0
        else {
            throw ConfigurationError.ranks(ranks, microShards: count)
        }
        self.count = count
    }

    /// The micro-shards `rank` of `ranks` works on.
    public func owned(by rank: Int, of ranks: Int) -> Range<Int> {
        let per = count / ranks
        return (rank * per)..<((rank + 1) * per)
    }

    /// Positions in a batch of `batchSize` that micro-shard `index` covers.
    public func rows(_ index: Int, batchSize: Int) -> Range<Int> {
        Sharding.shard(batchSize: batchSize, ranks: count, rank: index)
    }
}

/// The deterministic strategy: this rank's micro-shards are computed one at a time, each into
/// its own buffer (the same BLAS calls whatever the rank count), then summed in the fixed
/// tree described at `MicroShards`.
public final class TreeReduction: GradientReduction {
    private let comm: Communicator
    private let microShards: MicroShards
    /// One buffer per owned micro-shard; the total ends up in `buffers[0]`.
    let buffers: [FloatBuffer]
    private let incoming: FloatBuffer
    private let parameterCount: Int
    private let parts: GradientParts
    public let updates: [OwnedUpdate]

    public init(comm: Communicator, microShards: MicroShards, parameterCount: Int) {
        self.comm = comm
        self.microShards = microShards
        self.parameterCount = parameterCount
        let count = reductionBufferCount(parameterCount: parameterCount)
        buffers = microShards.owned(by: comm.rank, of: comm.size).map { _ in FloatBuffer(count: count) }
        incoming = FloatBuffer(count: count)
        parts = GradientParts([UnsafePointer(buffers[0].pointer)])
        updates = [parts.update(0..<parameterCount)]
    }

    public func rows(batchSize: Int) -> Range<Int> {
        let mine = microShards.owned(by: comm.rank, of: comm.size)
        return microShards.rows(mine.lowerBound, batchSize: batchSize)
            .lowerBound..<microShards.rows(mine.upperBound - 1, batchSize: batchSize).upperBound
    }

    public var name: String { "deterministic-tree" }

    public var piecesPerStep: Int { buffers.count }

    public func forEachPiece(batchSize: Int, _ compute: (Range<Int>, UnsafeMutablePointer<Float>) -> Void) {
        let first = rows(batchSize: batchSize).lowerBound
        for (k, m) in microShards.owned(by: comm.rank, of: comm.size).enumerated() {
            let rows = microShards.rows(m, batchSize: batchSize)
            if rows.isEmpty {
                buffers[k].fill(0)
            } else {
                compute((rows.lowerBound - first)..<(rows.upperBound - first), buffers[k].pointer)
            }
        }
    }

    /// Sums the local buffers as a balanced tree, then across ranks by recursive doubling.
    public func reduce(stopRequested: Bool) {
        for (k, buffer) in buffers.enumerated() {
            buffer[parameterCount + Tail.stop.rawValue] = k == 0 && stopRequested ? 1 : 0
        }
        let n = incoming.count
        var stride = 1
        while stride < buffers.count {
            for i in Swift.stride(from: 0, to: buffers.count, by: 2 * stride) {
                add(buffers[i + stride].pointer, into: buffers[i].pointer, count: n)
            }
            stride *= 2
        }
        var level = 1
        while level < comm.size {
            comm.exchange(buffers[0].pointer, incoming.pointer, count: n, with: comm.rank ^ level)
            add(incoming.pointer, into: buffers[0].pointer, count: n)
            level *= 2
        }
    }

    /// After `reduce`: the whole batch's gradient sums and tail.
    var sums: UnsafeMutablePointer<Float> { buffers[0].pointer }

    public var tail: UnsafePointer<Float> { UnsafePointer(sums + parameterCount) }

    private func add(_ source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { target[i] += source[i] }
    }
}
