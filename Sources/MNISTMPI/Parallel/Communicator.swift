/// What the trainer needs from a group of processes (or threads). `MPICommunicator` is the
/// real one; `ThreadCommunicator` runs a group inside one process.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Ranks sharing this node (from the launcher), for choosing BLAS threads.
    var localSize: Int { get }

    /// Element-wise sum over all ranks, in place; every rank gets the result.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Replaces `bytes` on every rank with the root's `bytes` (which the root does not copy).
    func broadcast(_ bytes: inout [UInt8], root: Int)
    /// The root's bytes in `buffer` on every rank (every rank passes a buffer of the same size).
    func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int)
    /// Sums every rank's `send` element-wise and leaves block `rank` of the sum in `receive`;
    /// the blocks are `blocks` (consecutive, covering `send`).
    func reduceScatterSum(_ send: UnsafePointer<Float>, into receive: UnsafeMutablePointer<Float>, blocks: Blocks)
    /// Block r of `buffer` from rank r, on every rank, in place.
    func allgather(_ buffer: UnsafeMutablePointer<Float>, blocks: Blocks)
    /// Sends `send` to rank `destination` while receiving `receive.count` bytes from rank
    /// `source` into `receive` (a ring step, or a swap when both are the same rank). Every rank
    /// of the communicator calls it at once (ranks that are threads meet at a barrier in it);
    /// a rank with nothing to exchange exchanges nothing with itself.
    func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer, from source: Int)
    /// The ranks that share this rank's node (its memory), as a communicator ordered as this
    /// one. Called by every rank together.
    func splitByNode() -> Communicator
    /// The ranks that pass the same `color`, as a communicator ordered as this one. Called by
    /// every rank together.
    func split(color: Int) -> Communicator
    /// `count` floats for each rank, in memory every rank reads and writes directly (rank r's
    /// segment at index r, alive as long as the communicator), when all ranks share one
    /// machine's memory; nil otherwise. Called by every rank together.
    func sharedSegments(count: Int) -> [UnsafeMutablePointer<Float>]?
    /// `count` floats held once (by rank 0) in memory every rank reads and writes directly,
    /// alive as long as the communicator, when all ranks share one machine's memory; nil
    /// otherwise. Called by every rank together.
    func sharedBuffer(count: Int) -> UnsafeMutablePointer<Float>?
    /// `count` bytes that this rank alone writes, then shares with the ranks of its node
    /// (`share`). Throws when the node cannot hold them.
    func holdBytes(count: Int) throws -> HeldBytes
    /// Rank 0's `held` (nil on the others), which it has written, on every rank, where they
    /// read it without a copy of their own. The ranks all share one machine's memory. Called by
    /// every rank together.
    func share(_ held: HeldBytes?) -> HeldBytes
    /// Ends every rank's process, reporting that this rank failed at `what` because of `error`.
    func endJob(failedAt what: String, _ error: Error) -> Never
    /// Returns once every rank has called it; what any rank wrote to shared segments before
    /// it is then visible to all.
    func barrier()
    /// Seconds on a monotonic clock.
    func time() -> Double
    /// Runs `work` on the root while the other ranks wait for it to finish.
    func waitForRoot(_ work: () -> Void)
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }

    /// Sends `count` floats to `partner` while receiving as many from it into `receive`.
    public func exchange(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int, with partner: Int) {
        sendReceive(
            UnsafeRawBufferPointer(start: send, count: count * 4), to: partner,
            UnsafeMutableRawBufferPointer(start: receive, count: count * 4), from: partner)
    }

    /// The host of every rank, as the lowest rank on it (every rank calls it).
    public func hostOfEachRank() -> [Int] {
        // The node's first rank tells its node its rank; then every rank its leader's.
        let node = splitByNode()
        let leader = FloatBuffer(count: 1)
        if node.rank == 0 { leader.fill(Float(rank)) }
        node.allreduceSum(leader.pointer, count: 1)
        let all = FloatBuffer(count: size)
        all[rank] = leader[0]
        allreduceSum(all.pointer, count: size)
        return all.array.map { Int($0) }
    }

    /// The ranks that share this rank's node, when every node runs as many ranks; else throws
    /// `UnevenNodes` on every rank. Called by every rank together.
    func splitByEvenNodes(strategy: String) throws -> Communicator {
        let node = splitByNode()
        // Nodes and the sum of their rank counts squared: equal counts iff N * sum(n²) = (sum n)².
        let census = FloatBuffer([node.rank == 0 ? 1 : 0, node.rank == 0 ? Float(node.size * node.size) : 0])
        allreduceSum(census.pointer, count: 2)
        guard Int(census[0]) * Int(census[1]) == size * size else { throw UnevenNodes(strategy: strategy) }
        return node
    }

    public func waitForRoot(_ work: () -> Void) {
        if isRoot { work() }
    }

    /// Every rank's `bytes`, in rank order, on the root (other ranks get an empty list).
    /// One broadcast per rank: meant for small end-of-run reports, not for the training loop.
    public func gatherToRoot(_ bytes: [UInt8]) -> [[UInt8]] {
        var all: [[UInt8]] = []
        for r in 0..<size {
            var b = rank == r ? bytes : []
            broadcast(&b, root: r)
            if isRoot { all.append(b) }
        }
        return all
    }

    /// Runs `work` on the root only and tells every rank how it went: the root gets the value,
    /// the others nil. If `work` throws, the root rethrows its error and every other rank
    /// throws `RootFailed`, so a failure seen only by the root (bad data, an unwritable file)
    /// ends all ranks alike instead of leaving them waiting in a collective.
    public func onRoot<T>(_ work: () throws -> T) throws -> T? {
        var value: T?
        var failure: Error?
        waitForRoot {
            do { value = try work() } catch { failure = error }
        }
        var failed: [UInt8] = [failure != nil ? 1 : 0]
        broadcast(&failed, root: 0)
        if let failure { throw failure }
        if failed[0] != 0 { throw RootFailed() }
        return value
    }
}

/// The nodes do not all run the same number of ranks, which `strategy` needs.
public struct UnevenNodes: Error, Equatable {
    public let strategy: String
}

/// Rank 0 failed in work the other ranks were waiting for; rank 0 reports why.
public struct RootFailed: Error, Equatable {}

/// How a vector of floats is cut into one consecutive block per rank, by `Sharding`'s rule
/// (sizes differ by at most one), in the forms MPI's collectives take.
public struct Blocks: Sendable {
    public let ranges: [Range<Int>]
    public let counts: [Int32]
    public let offsets: [Int32]

    public init(count: Int, ranks: Int) {
        self.init(ranges: (0..<ranks).map { Sharding.shard(batchSize: count, ranks: ranks, rank: $0) })
    }

    /// `count` cut as evenly as whole multiples of `multiple` allow: every block but the last
    /// starts and ends at a multiple.
    public init(count: Int, ranks: Int, multiple: Int) {
        let units = Blocks(count: divideRoundingUp(count, multiple), ranks: ranks)
        self.init(ranges: units.ranges.map { min($0.lowerBound * multiple, count)..<min($0.upperBound * multiple, count) })
    }

    /// Floats in a cache line: slices of the parameters that ranks step start at a multiple, so
    /// that each rank's vector loads and stores are aligned and no line is written by two ranks.
    public static let cacheLine = 16

    /// Blocks of any consecutive ranges, one per rank.
    public init(ranges: [Range<Int>]) {
        self.ranges = ranges
        counts = ranges.map { Int32($0.count) }
        offsets = ranges.map { Int32($0.lowerBound) }
    }
}

/// The ranks on each host, hosts in the order of their first rank, from the host of each rank
/// (`Communicator.hostOfEachRank`).
public func ranksOnEachHost(_ hostOf: [Int]) -> [Int] {
    Set(hostOf).sorted().map { host in hostOf.filter { $0 == host }.count }
}
