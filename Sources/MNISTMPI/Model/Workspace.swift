import CKernels

/// Activations and their gradients for up to `capacity` samples, allocated once and reused by
/// every step so that the training loop never allocates.
public final class Workspace {
    public let architecture: Architecture
    public let capacity: Int
    /// Inputs, scaled to [0, 1]: capacity x inputs.
    public let x: FloatBuffer
    public let labels: UnsafeMutablePointer<Int32>
    /// ReLU outputs: capacity x hidden.
    public let hidden: FloatBuffer
    /// capacity x classes.
    public let logits: FloatBuffer
    public let dLogits: FloatBuffer
    public let dHidden: FloatBuffer
    /// The second kernel transposed (classes x hidden), as `Network.prepare` left it: the
    /// weights the backward reads (rounded to bfloat16 in mixed precision).
    let w2Transposed: FloatBuffer
    /// The inputs some row lights: the first layer's products skip the others
    /// (`Network.forward`, `Network.firstLayerGradients`).
    let litInputs: UnsafeMutablePointer<Int32>
    public let precision: Precision
    /// The bfloat16 operands of the mixed-precision step (nil in float32).
    let bfloat16: BFloat16Operands?

    /// - Parameters:
    ///   - dHidden: where to keep the hidden layer's gradients (capacity x hidden floats that
    ///     outlive the workspace); nil: memory of its own.
    ///   - w1Pairs: in mixed precision, the first kernel's bfloat16 pairs that the optimizer's
    ///     steps keep current (`GradientReduction.holdWeightPairs`); nil: packed here.
    public init(
        _ architecture: Architecture, capacity: Int, dHidden: UnsafeMutablePointer<Float>? = nil, precision: Precision = .float32,
        w1Pairs: UnsafeMutablePointer<UInt32>? = nil
    ) {
        self.architecture = architecture
        self.capacity = capacity
        self.precision = precision
        bfloat16 = precision == .mixedBFloat16 ? BFloat16Operands(architecture, capacity: capacity, w1Pairs: w1Pairs) : nil
        x = FloatBuffer(count: capacity * architecture.inputs)
        labels = .allocate(capacity: max(capacity, 1))
        labels.initialize(repeating: 0, count: max(capacity, 1))
        hidden = FloatBuffer(count: capacity * architecture.hidden)
        logits = FloatBuffer(count: capacity * architecture.classes)
        litInputs = .allocate(capacity: architecture.inputs)
        w2Transposed = FloatBuffer(count: architecture.w2.count)
        dLogits = FloatBuffer(count: capacity * architecture.classes)
        self.dHidden =
            dHidden.map { FloatBuffer(viewing: $0, count: capacity * architecture.hidden) }
            ?? FloatBuffer(count: capacity * architecture.hidden)
    }

    deinit {
        labels.deallocate()
        litInputs.deallocate()
    }

    /// Images asked for ahead of their conversion in `load`.
    static let prefetchedImages = 8

    /// Copies samples `indices` of `split` into `x` (as `pixel / 255`) and `labels`.
    public func load<C: Collection>(_ split: Split, indices: C) where C.Element == Int32 {
        precondition(indices.count <= capacity)
        let size = architecture.inputs
        split.images.withUnsafeBufferPointer { images in
            func image(_ index: Int32) -> UnsafePointer<UInt8> { images.baseAddress! + Int(index) * size }
            // The images a few rows ahead are on their way from memory while this one is converted.
            var ahead = indices.makeIterator()
            for _ in 0..<Self.prefetchedImages { ahead.next().map { prefetch_bytes(image($0), size) } }
            for (row, index) in indices.enumerated() {
                ahead.next().map { prefetch_bytes(image($0), size) }
                Kernels.table.scale_bytes(image(index), x.pointer + row * size, size)
                labels[row] = Int32(split.labels[Int(index)])
            }
        }
    }
}
