import CMPI
#if canImport(Glibc)
import Glibc
#endif

/// MPI handles are C pointers; they are only ever used from the main thread.
struct MPIHandle<T>: @unchecked Sendable {
    let value: T
}

/// `MPI_COMM_WORLD`. Creating it calls `MPI_Init`, which also works without a launcher
/// (an MPI singleton: one rank), so a plain program needs no `mpirun`.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    public let localSize: Int
    private let world: MPIHandle<MPI_Comm>
    /// Told which MPI call failed, just before the job is aborted with exit status 1.
    private let report: (MPIFailure) -> Void

    public init(reportingFailures report: @escaping (MPIFailure) -> Void) {
        self.report = report
        // Only this thread calls MPI (the watchdog and BLAS threads never do).
        var argc: Int32 = 0, provided: Int32 = 0
        MPI_Init_thread(&argc, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        world = MPIHandle(value: cmpi_comm_world())
        var r: Int32 = 0, s: Int32 = 0
        MPI_Comm_rank(world.value, &r)
        MPI_Comm_size(world.value, &s)
        rank = Int(r)
        size = Int(s)
        localSize = Launcher.localRankCount ?? Int(s)
    }

    /// `MPI_Finalize`; call once, when every rank is done communicating.
    public func finalize() {
        MPI_Finalize()
    }

    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        guard size > 1 else { return }
        check(MPI_Allreduce(cmpi_in_place(), buffer, Int32(count), cmpi_float(), cmpi_sum(), world.value), "MPI_Allreduce")
    }

    public func broadcast(_ bytes: inout [UInt8], root: Int) {
        guard size > 1 else { return }
        var count = Int64(bytes.count)
        check(MPI_Bcast(&count, 1, cmpi_int64(), Int32(root), world.value), "MPI_Bcast")
        if rank != root { bytes = [UInt8](repeating: 0, count: Int(count)) }
        // The root only reads its buffer: no copy-on-write of a shared array there.
        func send(_ raw: UnsafeRawBufferPointer) {
            // Chunks below 2^31 bytes: MPI counts are Int32.
            let chunk = 1 << 30
            var offset = 0
            while offset < raw.count {
                let n = min(chunk, raw.count - offset)
                check(MPI_Bcast(UnsafeMutableRawPointer(mutating: raw.baseAddress! + offset), Int32(n), cmpi_byte(),
                                Int32(root), world.value), "MPI_Bcast")
                offset += n
            }
        }
        if rank == root {
            bytes.withUnsafeBytes(send)
        } else {
            bytes.withUnsafeMutableBytes { send(UnsafeRawBufferPointer($0)) }
        }
    }

    public func exchange(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int, with partner: Int) {
        check(MPI_Sendrecv(send, Int32(count), cmpi_float(), Int32(partner), 0,
                           receive, Int32(count), cmpi_float(), Int32(partner), 0, world.value, cmpi_status_ignore()),
              "MPI_Sendrecv")
    }

    /// Ends every process of the job with `code`; does not return.
    public func abort(code: Int32) -> Never {
        MPI_Abort(world.value, code)
        exit(code)
    }

    public func time() -> Double { MPI_Wtime() }

    private func check(_ status: Int32, _ call: String) {
        if status != cmpi_success() {
            report(MPIFailure(call: call, code: status, rank: rank))
            abort(code: 1)
        }
    }
}

/// An MPI call that returned an error.
public struct MPIFailure: Sendable {
    public let call: String
    public let code: Int32
    public let rank: Int
}
