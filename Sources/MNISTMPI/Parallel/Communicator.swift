/// What the trainer needs from a group of processes. `MPICommunicator` is the real one;
/// `LocalCommunicator` is a group of one, for tests and for code that must not touch MPI.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Ranks sharing this node (from the launcher), for choosing BLAS threads.
    var localSize: Int { get }

    /// Element-wise sum over all ranks, in place; every rank gets the result.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Replaces `bytes` on every rank with the root's `bytes` (which the root does not copy).
    func broadcast(_ bytes: inout [UInt8], root: Int)
    /// Sends `count` floats to `partner` while receiving as many from it into `receive`.
    func exchange(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int, with partner: Int)
    /// Ends every process of the job with `code`; does not return.
    func abort(code: Int32) -> Never
    /// Seconds on a monotonic clock.
    func time() -> Double
}

extension Communicator {
    public var isRoot: Bool { rank == 0 }

    /// Broadcasts a string from the root.
    public func broadcast(_ text: inout String, root: Int) {
        var bytes = Array(text.utf8)
        broadcast(&bytes, root: root)
        text = String(decoding: bytes, as: UTF8.self)
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
    /// the others nil; if `work` throws, every rank throws the same error. A failure seen only by
    /// the root (bad data, an unwritable file) thus ends all ranks alike instead of leaving them
    /// waiting in a collective.
    public func onRoot<T>(_ work: () throws -> T) throws -> T? {
        var value: T?
        var message = ""
        if isRoot {
            do { value = try work() } catch { message = String(describing: error) }
        }
        var failed: [UInt8] = [isRoot && value == nil ? 1 : 0]
        broadcast(&failed, root: 0)
        if failed[0] != 0 {
            broadcast(&message, root: 0)
            throw RootError(message: message)
        }
        return value
    }
}

/// An error that happened on rank 0 and was broadcast to every rank.
public struct RootError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// A group of one process: collectives are no-ops.
public final class LocalCommunicator: Communicator {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public var localSize: Int { 1 }
    public func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {}
    public func broadcast(_ bytes: inout [UInt8], root: Int) {}
    public func exchange(_ send: UnsafePointer<Float>, _ receive: UnsafeMutablePointer<Float>, count: Int, with partner: Int) {
        receive.update(from: send, count: count)
    }
    public func abort(code: Int32) -> Never { exit(code) }
    public func time() -> Double { monotonicSeconds() }
}

#if canImport(Glibc)
import Glibc
#endif

/// Seconds on the monotonic clock.
public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
