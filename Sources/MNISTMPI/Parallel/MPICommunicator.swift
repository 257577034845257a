import CMPI
import CSystem
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// MPI handles are C pointers; they are only ever used from the main thread.
struct MPIHandle<T>: @unchecked Sendable {
    let value: T
}

/// `MPI_COMM_WORLD`, or a communicator split from it. Creating the world calls `MPI_Init`,
/// which also works without a launcher (an MPI singleton: one rank), so a plain program needs
/// no `mpirun`. Every call that waits for other ranks, `MPI_Init` and `MPI_Finalize` included,
/// runs under the watchdog.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let localSize: Int
    public let watchdog: Watchdog?
    let handle: MPIHandle<MPI_Comm>
    /// This process's rank in the world, for messages.
    private let worldRank: Int
    /// Shared-memory windows made by `sharedSegments`, freed by `finalize`.
    private var windows: [MPIHandle<MPI_Win>] = []
    /// Communicators split from this one, freed by `finalize`.
    private var children: [MPICommunicator] = []
    /// The state of `barrier`, in the first window (after rank 0's segment), once there is one.
    private var barrierState: UnsafeMutablePointer<UInt32>?
    /// Told which MPI call failed, just before the job is aborted with exit status 1.
    private let report: (CommunicationFailure) -> Void

    public init(watchdog: Watchdog?, reportingFailures report: @escaping (CommunicationFailure) -> Void) {
        self.report = report
        self.watchdog = watchdog
        // Only this thread calls MPI (the watchdog, BLAS and root-work threads never do).
        var argc: Int32 = 0, provided: Int32 = 0
        watchdog.watch { _ = MPI_Init_thread(&argc, nil, Int32(MPI_THREAD_FUNNELED), &provided) }
        handle = MPIHandle(value: cmpi_comm_world())
        // Errors come back as return codes (`check` reports them and ends the job), not as
        // OpenMPI's default abort; communicators split from the world inherit this.
        MPI_Comm_set_errhandler(handle.value, cmpi_errors_return())
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(handle.value, &r)
        MPI_Comm_size(handle.value, &s)
        rank = Int(r)
        size = Int(s)
        worldRank = rank
        localSize = Launcher.current.localRankCount ?? Int(s)
    }

    private init(splitFrom parent: MPICommunicator, handle: MPI_Comm) {
        report = parent.report
        watchdog = parent.watchdog
        self.handle = MPIHandle(value: handle)
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(handle, &r)
        MPI_Comm_size(handle, &s)
        rank = Int(r)
        size = Int(s)
        worldRank = parent.worldRank
        localSize = parent.localSize
    }

    /// Frees the windows and split communicators, then `MPI_Finalize`; call once, on the
    /// world, when every rank is done communicating.
    public func finalize() {
        release()
        watchdog.watch { _ = MPI_Finalize() }
    }

    private func release() {
        for child in children {
            child.release()
            var comm: MPI_Comm? = child.handle.value
            MPI_Comm_free(&comm)
        }
        for window in windows {
            var w: MPI_Win? = window.value
            MPI_Win_unlock_all(window.value)
            watchdog.watch { _ = MPI_Win_free(&w) }
        }
    }

    public func splitByNode() -> Communicator {
        var node: MPI_Comm?
        check(
            watchdog.watch { MPI_Comm_split_type(handle.value, cmpi_comm_type_shared(), Int32(rank), cmpi_info_null(), &node) },
            "MPI_Comm_split_type")
        return adopt(node!)
    }

    public func split(color: Int) -> Communicator {
        var part: MPI_Comm?
        check(watchdog.watch { MPI_Comm_split(handle.value, Int32(color), Int32(rank), &part) }, "MPI_Comm_split")
        return adopt(part!)
    }

    private func adopt(_ comm: MPI_Comm) -> MPICommunicator {
        let child = MPICommunicator(splitFrom: self, handle: comm)
        children.append(child)
        return child
    }

    public func sharedSegments(count: Int) -> [UnsafeMutablePointer<Float>]? {
        sharedWindow(bytes: count * 4)?.map { $0.bindMemory(to: Float.self, capacity: count) }
    }

    public func sharedBuffer(count: Int) -> UnsafeMutablePointer<Float>? {
        sharedWindow(bytes: rank == 0 ? count * 4 : 0)?[0].bindMemory(to: Float.self, capacity: count)
    }

    /// In a new shared-memory file (`SharedMemoryFile`), which `share` opens on the node's
    /// other ranks and then unlinks.
    public func holdBytes(count: Int) throws -> HeldBytes {
        let name = "/mnist-mpi-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        return HeldBytes(try SharedMemoryFile(creating: name, count: count))
    }

    /// The other ranks map rank 0's file for reading: the node holds it once (a rank's resident
    /// size counts the pages it touches, its PSS a share of them). A file that cannot be opened
    /// ends the job.
    public func share(_ held: HeldBytes?) -> HeldBytes {
        precondition((rank == 0) == (held != nil) && (held == nil || held!.file != nil))
        var name = Array((held?.file?.name ?? "").utf8)
        var count = [Int64(held?.bytes.count ?? 0)]
        broadcast(&name, root: 0)
        count.withUnsafeMutableBytes { broadcast($0, root: 0) }
        do {
            let mine = try held ?? HeldBytes(SharedMemoryFile(reading: String(decoding: name, as: UTF8.self), count: Int(count[0])))
            barrier()  // opened by all before its name goes
            held?.file?.removeName()
            return mine
        } catch {
            endJob(failedAt: HoldingFailed.what, error)
        }
    }

    public func endJob(failedAt what: String, _ error: Error) -> Never {
        report(CommunicationFailure(what: what, code: nil, rank: worldRank, message: "\(error)"))
        abort(code: 1)
    }

    /// An MPI-3 shared-memory window (`MPI_Win_allocate_shared`) over the ranks of this node,
    /// if they are all of this communicator's ranks (nil when they span several nodes), with
    /// `bytes` on every rank; the start of each rank's part. Ranks then load and store
    /// directly, in a passive-target epoch that lasts until `finalize`. Rank 0's part of the
    /// first window has room for the barrier's state.
    private func sharedWindow(bytes: Int) -> [UnsafeMutableRawPointer]? {
        var node: MPI_Comm?
        check(
            watchdog.watch { MPI_Comm_split_type(handle.value, cmpi_comm_type_shared(), 0, cmpi_info_null(), &node) },
            "MPI_Comm_split_type")
        defer { MPI_Comm_free(&node) }
        var nodeSize: Int32 = 0
        MPI_Comm_size(node, &nodeSize)
        guard nodeSize == size else { return nil }
        var base: UnsafeMutableRawPointer?
        var window: MPI_Win?
        let barrierOffset = divideRoundingUp(bytes, 64) * 64
        check(
            watchdog.watch { MPI_Win_allocate_shared(MPI_Aint(barrierOffset + 64), 1, cmpi_info_null(), node, &base, &window) },
            "MPI_Win_allocate_shared")
        windows.append(MPIHandle(value: window!))
        check(MPI_Win_lock_all(Int32(cmpi_mode_nocheck()), window), "MPI_Win_lock_all")
        // The node's ranks are the world's, in the same order (split keys tie: world rank decides).
        let segments = (0..<size).map { r -> (start: UnsafeMutableRawPointer, bytes: Int) in
            var bytes: MPI_Aint = 0, unit: Int32 = 0
            var start: UnsafeMutableRawPointer?
            check(MPI_Win_shared_query(window, Int32(r), &bytes, &unit, &start), "MPI_Win_shared_query")
            return (start!, Int(bytes))
        }
        let starts = segments.map(\.start)
        if barrierState == nil {
            // The last 64 bytes of rank 0's part (whose size the ranks may not know alike).
            let state = (starts[0] + segments[0].bytes - 64).bindMemory(to: UInt32.self, capacity: 2)
            if rank == 0 { state.update(repeating: 0, count: 2) }
            barrier()  // an MPI_Barrier still: the zeroed state is seen before its first use
            barrierState = state
        }
        return starts
    }

    /// Waits for every rank; stores to shared memory before it are visible after it. With a
    /// shared window, all the ranks are on this node and wait on a word in it
    /// (`csystem_shared_barrier`: they sleep rather than spin, which an oversubscribed node
    /// needs); otherwise `MPI_Barrier`. `MPI_Win_sync` around it is MPI's memory-model step.
    public func barrier() {
        for window in windows { MPI_Win_sync(window.value) }
        if let barrierState {
            watchdog.watch { csystem_shared_barrier(barrierState, UInt32(size)) }
        } else {
            check(watchdog.watch { MPI_Barrier(handle.value) }, "MPI_Barrier")
        }
        for window in windows { MPI_Win_sync(window.value) }
    }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        guard size > 1 else { return }
        check(
            watchdog.watch { MPI_Allreduce(cmpi_in_place(), buffer, Int32(count), cmpi_float(), cmpi_sum(), handle.value) },
            "MPI_Allreduce")
    }

    public func broadcast(_ bytes: inout [UInt8], root: Int) {
        guard size > 1 else { return }
        var count = Int64(bytes.count)
        check(watchdog.watch { MPI_Bcast(&count, 1, cmpi_int64(), Int32(root), handle.value) }, "MPI_Bcast")
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(count)) }
        // The root only reads its buffer: no copy-on-write of a shared array there.
        if rank == root {
            bytes.withUnsafeBytes { broadcast(UnsafeMutableRawBufferPointer(mutating: $0), root: root) }
        } else {
            bytes.withUnsafeMutableBytes { broadcast($0, root: root) }
        }
    }

    public func broadcast(_ buffer: UnsafeMutableRawBufferPointer, root: Int) {
        guard size > 1 else { return }
        // Chunks below 2^31 bytes: MPI counts are Int32.
        let chunk = 1 << 30
        var offset = 0
        while offset < buffer.count {
            let n = min(chunk, buffer.count - offset)
            check(
                watchdog.watch { MPI_Bcast(buffer.baseAddress! + offset, Int32(n), cmpi_byte(), Int32(root), handle.value) },
                "MPI_Bcast")
            offset += n
        }
    }

    public func reduceScatterSum(_ send: UnsafePointer<Float>, into receive: UnsafeMutablePointer<Float>, blocks: Blocks) {
        guard size > 1 else { return receive.update(from: send, count: blocks.ranges[0].count) }
        blocks.counts.withUnsafeBufferPointer { counts in
            check(
                watchdog.watch {
                    MPI_Reduce_scatter(send, receive, counts.baseAddress, cmpi_float(), cmpi_sum(), handle.value)
                }, "MPI_Reduce_scatter")
        }
    }

    public func allgather(_ buffer: UnsafeMutablePointer<Float>, blocks: Blocks) {
        guard size > 1 else { return }
        blocks.counts.withUnsafeBufferPointer { counts in
            blocks.offsets.withUnsafeBufferPointer { offsets in
                check(
                    watchdog.watch {
                        MPI_Allgatherv(
                            cmpi_in_place(), 0, cmpi_float(), buffer, counts.baseAddress, offsets.baseAddress,
                            cmpi_float(), handle.value)
                    }, "MPI_Allgatherv")
            }
        }
    }

    public func sendReceive(
        _ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
        from source: Int
    ) {
        check(
            watchdog.watch {
                MPI_Sendrecv(
                    send.baseAddress, Int32(send.count), cmpi_byte(), Int32(destination), 0,
                    receive.baseAddress, Int32(receive.count), cmpi_byte(), Int32(source), 0, handle.value,
                    cmpi_status_ignore())
            }, "MPI_Sendrecv")
    }

    /// Rank 0 runs `work` on a thread of its own while this thread tells the other ranks, every
    /// half second, that it is alive, but only while `LocalProgress` moves: a rank 0 stuck in a
    /// read of a hung file system goes quiet, and its peers' watchdogs end the job. The other
    /// ranks wait for those messages under the watchdog.
    public func waitForRoot(_ work: () -> Void) {
        guard size > 1 else { return work() }
        if rank == 0 {
            var seen = LocalProgress.count
            Threads.run(work) {
                let now = LocalProgress.count
                if now != seen { sendToOthers(tag: Self.aliveTag) }
                seen = now
            }
            sendToOthers(tag: Self.doneTag)
        } else {
            var status = MPI_Status(), byte: UInt8 = 0
            repeat {
                check(watchdog.watch { MPI_Recv(&byte, 1, cmpi_byte(), 0, cmpi_any_tag(), handle.value, &status) }, "MPI_Recv")
            } while status.MPI_TAG != Self.doneTag
        }
    }

    private static let aliveTag: Int32 = 101, doneTag: Int32 = 102

    private func sendToOthers(tag: Int32) {
        var byte: UInt8 = 0
        for other in 1..<size {
            check(MPI_Send(&byte, 1, cmpi_byte(), Int32(other), tag, handle.value), "MPI_Send")
        }
    }

    /// Ends every process of the job with `code`; does not return.
    public func abort(code: Int32) -> Never {
        MPI_Abort(cmpi_comm_world(), code)
        exit(code)
    }

    public func time() -> Double { MPI_Wtime() }

    func check(_ status: Int32, _ call: String) {
        if status != cmpi_success() {
            var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
            var length: Int32 = 0
            MPI_Error_string(status, &text, &length)
            report(CommunicationFailure(what: call, code: status, rank: worldRank, message: String(nulTerminated: text)))
            abort(code: 1)
        }
    }
}

/// What failed in a rank's communication: an MPI call that returned an error, or holding the
/// training images in the node's shared memory.
public struct CommunicationFailure: Sendable {
    /// The MPI call, or the work, that failed.
    public let what: String
    /// MPI's error code, when MPI is what failed.
    public let code: Int32?
    public let rank: Int
    /// What went wrong: MPI's words for `code`, or the system's.
    public let message: String
}
