/// What the trainer needs from a group of processes. `MPICommunicator` is the real one;
/// `LocalCommunicator` is a group of one, for tests and for code that must not touch MPI.
public protocol Communicator: AnyObject {
    var rank: Int { get }
    var size: Int { get }
    /// Ranks sharing this node (from the launcher), for choosing BLAS threads.
    var localSize: Int { get }

    /// Element-wise sum over all ranks, in place; every rank gets the result.
    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int)
    /// Replaces `bytes` on every rank with the root's `bytes`.
    func broadcast(_ bytes: inout [UInt8], root: Int)
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

    /// Broadcasts the outcome of `work`, run on the root only: its value or its error ends up on
    /// every rank, so a failure on the root (bad data, say) ends all ranks the same way instead
    /// of leaving them waiting in a collective.
    public func rootResult<T>(_ work: () throws -> T, encode: (T) -> [UInt8],
                              decode: ([UInt8]) -> T) throws -> T {
        var status: [UInt8] = [0]
        var value: T?
        var message = ""
        if isRoot {
            do { value = try work() } catch {
                status = [1]
                message = String(describing: error)
            }
        }
        broadcast(&status, root: 0)
        if status[0] != 0 {
            broadcast(&message, root: 0)
            throw RootError(message: message)
        }
        var bytes = isRoot ? encode(value!) : []
        broadcast(&bytes, root: 0)
        return isRoot ? value! : decode(bytes)
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
