/// The pixels of a split's images: an array of this process, or bytes that the ranks of one
/// node share, so that the node holds them once however many ranks read them: in memory this
/// process maps (kept alive by `owner`).
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
    public var isShared: Bool { if case .array = storage { false } else { true } }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case let .array(array): array.count
        case let .shared(_, count, _): count
        }
    }

    public subscript(position: Int) -> UInt8 {
        precondition(indices.contains(position), "index out of range")
        var byte: UInt8 = 0
        copyBytes(in: position..<(position + 1), to: &byte)
        return byte
    }

    /// Copies bytes `range` to `target`.
    public func copyBytes(in range: Range<Int>, to target: UnsafeMutablePointer<UInt8>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "index out of range")
        withUnsafeBufferPointer { target.update(from: $0.baseAddress! + range.lowerBound, count: range.count) }
    }

    /// Lets `Array(images)` and slices copy the bytes at once rather than one subscript at a time.
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        try withUnsafeBufferPointer(body)
    }

    /// All the bytes at once, where they are.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch storage {
        case let .array(array): return try array.withUnsafeBufferPointer(body)
        case let .shared(start, count, _): return try body(UnsafeBufferPointer(start: start, count: count))
        }
    }
}
