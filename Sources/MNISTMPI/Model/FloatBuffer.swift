/// A fixed-size, 64-byte aligned, zero-initialised array of Float that the training loop
/// allocates once and reuses; BLAS and the element-wise loops work on its raw pointer.
public final class FloatBuffer {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>
    /// Whether the memory is this buffer's own (else someone else's, who frees it).
    private let owned: Bool

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
        owned = true
    }

    /// A view of `count` floats someone else owns and keeps alive longer than this buffer.
    public init(viewing pointer: UnsafeMutablePointer<Float>, count: Int) {
        (self.pointer, self.count, owned) = (pointer, count, false)
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { if let base = $0.baseAddress { pointer.update(from: base, count: $0.count) } }
    }

    deinit { if owned { pointer.deallocate() } }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    public func copy(from other: FloatBuffer) {
        precondition(other.count == count)
        pointer.update(from: other.pointer, count: count)
    }

    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }
}
