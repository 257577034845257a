/// The pixels of a split's images: an array of this process, or bytes in memory that the ranks
/// of one node share (`Communicator.sharedBytes`), so that the node holds them once however
/// many ranks read them (kept alive by the communicator that allocated them).
public struct ImageBytes: RandomAccessCollection, @unchecked Sendable {
    private enum Storage {
        case array([UInt8])
        case shared(UnsafePointer<UInt8>, count: Int, owner: AnyObject)
    }
    private let storage: Storage

    public init(_ array: [UInt8]) { storage = .array(array) }

    /// `count` bytes at `start`, which nothing writes any more, alive as long as `owner`.
    public init(shared start: UnsafePointer<UInt8>, count: Int, owner: AnyObject) {
        storage = .shared(start, count: count, owner: owner)
    }

    /// Whether the bytes are in memory shared by a node's ranks.
    public var isShared: Bool { if case .shared = storage { true } else { false } }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case let .array(array): array.count
        case let .shared(_, count, _): count
        }
    }

    public subscript(position: Int) -> UInt8 {
        precondition(indices.contains(position), "index out of range")
        return withUnsafeBufferPointer { $0[position] }
    }

    /// Lets `Array(images)` and slices copy the bytes at once rather than one subscript at a time.
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try withUnsafeBufferPointer(body)
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch storage {
        case let .array(array): try array.withUnsafeBufferPointer(body)
        case let .shared(start, count, _): try body(UnsafeBufferPointer(start: start, count: count))
        }
    }
}
