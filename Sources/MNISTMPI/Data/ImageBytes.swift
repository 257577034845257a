/// The pixels of a split's images: an array of this process, or bytes that the ranks of one
/// node share (`HeldBytes`), so that the node holds them once however many ranks read them.
public struct ImageBytes: RandomAccessCollection, @unchecked Sendable {
    private enum Storage {
        case array([UInt8])
        case held(HeldBytes, offset: Int, count: Int)
    }
    private let storage: Storage

    public init(_ array: [UInt8]) { storage = .array(array) }

    /// `count` bytes of `held` from `offset` on, which nothing writes any more.
    public init(_ held: HeldBytes, offset: Int = 0, count: Int? = nil) {
        let count = count ?? held.bytes.count - offset
        precondition(offset >= 0 && count >= 0 && offset + count <= held.bytes.count)
        storage = .held(held, offset: offset, count: count)
    }

    /// What holds these bytes, and where in it they start; nil for an array.
    public var heldIn: (held: HeldBytes, offset: Int)? {
        if case let .held(held, offset, _) = storage { (held, offset) } else { nil }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int {
        switch storage {
        case let .array(array): array.count
        case let .held(_, _, count): count
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
        case let .held(held, offset, count):
            let start = held.bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            return try body(UnsafeBufferPointer(start: start, count: count))
        }
    }
}

/// Bytes that one rank of a node writes and then every rank of the node reads where they are
/// (`Communicator.share`): in a shared-memory file when the ranks are processes, in this
/// process's memory when they are threads.
public final class HeldBytes: @unchecked Sendable {
    /// Their start is never nil, even when there are none.
    public let bytes: UnsafeMutableRawBufferPointer
    /// The file the bytes are mapped from; nil: this process's memory.
    let file: SharedMemoryFile?

    /// `count` bytes of this process's memory, zeroed.
    public init(count: Int) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
        memory.initializeMemory(as: UInt8.self, repeating: 0)
        bytes = UnsafeMutableRawBufferPointer(start: memory.baseAddress, count: count)
        file = nil
    }

    /// The bytes of a mapped shared-memory file.
    init(_ file: SharedMemoryFile) {
        self.file = file
        bytes = UnsafeMutableRawBufferPointer(start: file.mapping, count: file.count)
    }

    deinit { if file == nil { bytes.baseAddress!.deallocate() } }
}
