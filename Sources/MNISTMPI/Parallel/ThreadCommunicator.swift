import CSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A group of ranks that are threads of one process, sharing memory: collectives meet at a
/// barrier and read each other's buffers directly. Sums add the ranks in rank order, so
/// every rank gets the same bits, whatever the thread timing.
///
/// `ThreadCommunicator.group(n)` makes the `n` communicators; run rank `r`'s code on its own
/// thread with the `r`-th. A group of one is a plain single process. A group can also pretend
/// its ranks sit on several nodes (consecutive blocks of ranks), for testing what runs across
/// nodes: it then shares no memory segments across them, as MPI would not.
public final class ThreadCommunicator: Communicator, @unchecked Sendable {
    public let rank: Int
    public var size: Int { shared.size }
    public var localSize: Int { shared.nodeOf.filter { $0 == shared.nodeOf[rank] }.count }
    private let shared: Shared

    private init(rank: Int, shared: Shared) {
        self.rank = rank
        self.shared = shared
    }

    /// The `size` ranks of a new group, spread over `nodes` pretend nodes in consecutive blocks.
    public static func group(_ size: Int, nodes: Int = 1) -> [ThreadCommunicator] {
        precondition(size >= 1 && nodes >= 1 && nodes <= size)
        let nodeOf = (0..<nodes).flatMap { k in Sharding.shard(batchSize: size, ranks: nodes, rank: k).map { _ in k } }
        let shared = Shared(nodeOf: nodeOf)
        return (0..<size).map { ThreadCommunicator(rank: $0, shared: shared) }
    }

    /// Runs `body(communicator)` for every rank of a new group of `size` (over `nodes` pretend
    /// nodes), each on its own thread, and returns their results in rank order.
    public static func run<T: Sendable>(
        ranks size: Int, nodes: Int = 1,
        _ body: @escaping @Sendable (ThreadCommunicator) -> T
    ) -> [T] {
        let comms = group(size, nodes: nodes)
        let results = Mutex<[T?]>(Array(repeating: nil, count: size))
        let threads = comms.map { comm in
            Threads.start {
                let value = body(comm)
                results.withLock { $0[comm.rank] = value }
            }
        }
        for thread in threads { pthread_join(thread, nil) }
        return results.withLock { $0.map { $0! } }
    }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        guard size > 1 else { return }
        shared.post(UnsafeRawPointer(buffer), rank: rank)
        // Rank r adds up slice r of every buffer, in rank order, into rank 0's buffer...
        let slice = Sharding.shard(batchSize: count, ranks: size, rank: rank)
        let target = shared.buffer(0).assumingMemoryBound(to: Float.self).mutating
        for other in 1..<size {
            let source = shared.buffer(other).assumingMemoryBound(to: Float.self)
            for i in slice { target[i] += source[i] }
        }
        shared.barrier()
        // ... which the others then copy.
        if rank != 0 { buffer.update(from: target, count: count) }
        shared.barrier()
    }

    public func reduceScatterSum(_ send: UnsafePointer<Float>, into receive: UnsafeMutablePointer<Float>, blocks: Blocks) {
        shared.post(UnsafeRawPointer(send), rank: rank)
        let mine = blocks.ranges[rank]
        // Rank order, as allreduceSum: rank 0's values, then each other rank's added.
        receive.update(from: shared.buffer(0).assumingMemoryBound(to: Float.self) + mine.lowerBound, count: mine.count)
        for other in 1..<size {
            let source = shared.buffer(other).assumingMemoryBound(to: Float.self) + mine.lowerBound
            for i in 0..<mine.count { receive[i] += source[i] }
        }
        shared.barrier()
    }

    public func allgather(_ buffer: UnsafeMutablePointer<Float>, blocks: Blocks) {
        shared.post(UnsafeRawPointer(buffer), rank: rank)
        for other in 0..<size where other != rank {
            let block = blocks.ranges[other]
            (buffer + block.lowerBound).update(
                from: shared.buffer(other).assumingMemoryBound(to: Float.self) + block.lowerBound,
                count: block.count)
        }
        shared.barrier()
    }

    public func broadcast(_ bytes: inout [UInt8], root: Int) {
        guard size > 1 else { return }
        if rank == root { shared.message.withLock { $0 = bytes } }
        shared.barrier()
        if rank != root { bytes = shared.message.withLock { $0 } }
        shared.barrier()
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {
        guard size > 1, buffer.count > 0 else { return }
        shared.post(UnsafeRawPointer(buffer.baseAddress), rank: rank)
        if rank != root { buffer.copyMemory(from: UnsafeRawBufferPointer(start: shared.buffer(root), count: buffer.count)) }
        shared.barrier()
    }

    public func sendReceive(
        _ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
        from source: Int
    ) {
        shared.post(send.baseAddress!, rank: rank)
        receive.baseAddress!.copyMemory(from: shared.buffer(source), byteCount: receive.count)
        shared.barrier()
    }

    public func splitByNode() -> Communicator { split(color: shared.nodeOf[rank]) }

    public func split(color: Int) -> Communicator {
        shared.colors[rank] = color
        shared.barrier()
        let members = (0..<size).filter { shared.colors[$0] == color }
        // The first member of each color makes its group; the barriers order that for the others.
        if members[0] == rank { shared.parts[rank] = Shared(nodeOf: members.map { shared.nodeOf[$0] }) }
        shared.barrier()
        let part = shared.parts[members[0]]!
        shared.barrier()  // colors and parts are read before the next split writes them
        return ThreadCommunicator(rank: members.firstIndex(of: rank)!, shared: part)
    }

    public func sharedSegments(count: Int) -> [UnsafeMutablePointer<Float>]? {
        sharedBuffers(floats: count, onEveryRank: true)?.map { $0.assumingMemoryBound(to: Float.self) }
    }

    public func sharedBuffer(count: Int) -> UnsafeMutablePointer<Float>? {
        sharedBuffers(floats: count, onEveryRank: false)?[0].assumingMemoryBound(to: Float.self)
    }

    public func holdBytes(count: Int) throws -> HeldBytes { HeldBytes(count: count) }

    public func share(_ held: HeldBytes?) -> HeldBytes {
        shared.post(held.map { UnsafeRawPointer(Unmanaged.passUnretained($0).toOpaque()) }, rank: rank)
        let bytes = Unmanaged<HeldBytes>.fromOpaque(shared.buffer(0)).takeUnretainedValue()
        shared.barrier()  // every rank holds a reference before rank 0 may drop its own
        return bytes
    }

    public func endJob(failedAt what: String, _ error: Error) -> Never {
        fatalError("rank \(rank): \(what) failed: \(error)")
    }

    /// Threads share all memory: every rank (or rank 0 alone) allocates a buffer of `floats`,
    /// kept as long as the group, and the others read its address; nil when the group pretends
    /// to span nodes. The start of each rank's buffer (rank 0's alone when only it allocates).
    private func sharedBuffers(floats: Int, onEveryRank: Bool) -> [UnsafeMutableRawPointer]? {
        guard Set(shared.nodeOf).count == 1 else { return nil }
        var mine: UnsafeRawPointer?
        if onEveryRank || rank == 0 {
            let buffer = FloatBuffer(count: floats)
            shared.keep(buffer, rank: rank)
            mine = UnsafeRawPointer(buffer.pointer)
        }
        shared.post(mine, rank: rank)
        let starts = (0..<(onEveryRank ? size : 1)).map { UnsafeMutableRawPointer(mutating: shared.buffer($0)) }
        shared.barrier()
        return starts
    }

    public func barrier() { shared.barrier() }

    public func time() -> Double { monotonicSeconds() }

    /// What the ranks of one group share.
    private final class Shared: @unchecked Sendable {
        let size: Int
        /// The pretend node of each rank.
        let nodeOf: [Int]
        /// Each rank's color in the split being made (each rank writes its own).
        let colors: UnsafeMutablePointer<Int>
        /// The group each color's first member made in the split being made.
        let parts: UnsafeMutablePointer<Shared?>
        let message = Mutex<[UInt8]>([])
        /// Each rank's shared segments, alive as long as the group (each rank appends to its own).
        private let segments: UnsafeMutablePointer<[FloatBuffer]>
        private let pointers: UnsafeMutablePointer<UnsafeRawPointer?>
        /// `csystem_shared_barrier`'s two words.
        private let barrierState: UnsafeMutablePointer<UInt32>

        init(nodeOf: [Int]) {
            size = nodeOf.count
            self.nodeOf = nodeOf
            colors = .allocate(capacity: size)
            colors.initialize(repeating: 0, count: size)
            parts = .allocate(capacity: size)
            parts.initialize(repeating: nil, count: size)
            segments = .allocate(capacity: size)
            segments.initialize(repeating: [], count: size)
            pointers = .allocate(capacity: size)
            pointers.initialize(repeating: nil, count: size)
            barrierState = .allocate(capacity: 2)
            barrierState.initialize(repeating: 0, count: 2)
        }

        deinit {
            barrierState.deallocate()
            pointers.deallocate()
            colors.deallocate()
            parts.deinitialize(count: size)
            parts.deallocate()
            segments.deinitialize(count: size)
            segments.deallocate()
        }

        func barrier() { csystem_shared_barrier(barrierState, UInt32(size)) }

        func keep(_ segment: FloatBuffer, rank: Int) { segments[rank].append(segment) }

        /// Publishes this rank's buffer and waits until every rank has published its own.
        func post(_ pointer: UnsafeRawPointer?, rank: Int) {
            pointers[rank] = pointer
            barrier()
        }

        func buffer(_ rank: Int) -> UnsafeRawPointer { pointers[rank]! }
    }
}

extension UnsafePointer {
    fileprivate var mutating: UnsafeMutablePointer<Pointee> { UnsafeMutablePointer(mutating: self) }
}
