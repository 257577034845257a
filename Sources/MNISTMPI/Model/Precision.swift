import CKernels

/// How the layers compute, as Keras's dtype policies name it. The variables and the optimizer
/// are float32 either way.
///
/// `mixedBFloat16` is Keras's `mixed_bfloat16`, with the softmax and the loss in float32 as
/// Keras's guide advises for the output. Every rounding to bfloat16 (to nearest, ties to even):
///
///     forward   the inputs x/255, each layer's kernel and bias, and each layer's output:
///               round(x W + round(b)) from products accumulated in float32 (the first
///               layer's on AVX512_BF16 dot products, the second's as float32 products of the
///               rounded values, which are exact); ReLU of a bfloat16 is one
///     backward  the gradient reaching each layer's output (the softmax's float32 gradient,
///               the hidden layer's before the ReLU mask); weight and bias gradients are those
///               bfloat16 values multiplied and summed in float32, never rounded, so that the
///               ranks' sums do not depend on how a batch is cut
public enum Precision: String, CaseIterable, Sendable {
    case float32
    case mixedBFloat16 = "mixed-bfloat16"

    /// Keras's name for the policy (`DTypePolicy`).
    public var kerasPolicy: String { self == .float32 ? "float32" : "mixed_bfloat16" }

    /// Whether this process computes in it: mixed-bfloat16 needs AVX512_BF16, with the AVX-512
    /// kernels in use (`MNIST_MPI_ISA` below avx512 turns it off, as a CPU without it would).
    public var runsHere: Bool { self == .float32 || (Kernels.name == "avx512" && bf16_products_supported() != 0) }
}

/// What a mixed-precision step computes with besides the workspace's float32 buffers: the
/// weights rounded to bfloat16 once a step (`Network.prepare`), and the first layer's product
/// operands as pairs of bfloat16 (`bf16_pair_product`).
final class BFloat16Operands {
    /// W1 (inputs x hidden) in pairs of rows: inputs / 2 x hidden. Packed here only the pairs a
    /// forward product reads, each once between two `prepare`s (`packW1`), unless the ranks
    /// that step the weights pack them (`packedBySteps`).
    let w1Pairs: UnsafeMutablePointer<UInt32>
    /// Whether `w1Pairs` is memory whose pairs the optimizer's steps keep current.
    let packedBySteps: Bool
    /// The `weightsVersion` each pair of W1 was last packed at, and the pairs `packW1` packs.
    private let packedAt: UnsafeMutablePointer<UInt64>
    private let unpacked: UnsafeMutablePointer<Int32>
    /// Counts `prepare`s: the weights pairs packed before the last one are stale.
    var weightsVersion: UInt64 = 0
    /// W2, rounded.
    let w2: FloatBuffer
    /// The inputs, rounded: capacity x inputs, consecutive pixels in pairs.
    let x: UnsafeMutablePointer<UInt16>
    /// The inputs in pairs of samples (rows), for the first kernel's gradient.
    let xPairs: UnsafeMutablePointer<UInt32>
    /// The hidden layer's gradients in pairs of samples.
    let dHiddenPairs: UnsafeMutablePointer<UInt32>

    /// - Parameter w1Pairs: pairs the optimizer's steps keep current (nil: packed here).
    init(_ a: Architecture, capacity: Int, w1Pairs: UnsafeMutablePointer<UInt32>? = nil) {
        precondition(a.inputs % 2 == 0 && a.hidden % 32 == 0, "the first layer's product runs 32 columns and pairs of inputs at a time")
        let pairs = (capacity + 1) / 2
        packedBySteps = w1Pairs != nil
        self.w1Pairs = w1Pairs ?? .allocate(capacity: Self.w1PairWords(a))
        packedAt = .allocate(capacity: a.inputs / 2)
        packedAt.initialize(repeating: .max, count: a.inputs / 2)
        unpacked = .allocate(capacity: a.inputs / 2)
        w2 = FloatBuffer(count: a.w2.count)
        x = .allocate(capacity: max(capacity, 1) * a.inputs)
        xPairs = .allocate(capacity: max(pairs, 1) * a.inputs)
        dHiddenPairs = .allocate(capacity: max(pairs, 1) * a.hidden)
    }

    /// Packs the pairs `pairs[0..<count]` of W1 (`rows` x `columns`) not packed since the last
    /// `prepare`: a forward reads only the pairs of inputs its rows light.
    func packW1(_ w1: UnsafePointer<Float>, rows: Int, columns: Int, pairs: UnsafePointer<Int32>, count: Int) {
        precondition(!packedBySteps, "the optimizer's steps pack these pairs")
        var missing = 0
        for pair in UnsafeBufferPointer(start: pairs, count: count) where packedAt[Int(pair)] != weightsVersion {
            packedAt[Int(pair)] = weightsVersion
            unpacked[missing] = pair
            missing += 1
        }
        bf16_pair_rows_at(w1, rows, columns, columns, unpacked, missing, w1Pairs)
    }

    /// Words of W1's pairs.
    static func w1PairWords(_ a: Architecture) -> Int { a.inputs / 2 * a.hidden }

    /// Packs W1's elements `elements` (positions in W1, row-major) into `pairs`, after the
    /// optimizer stepped them: each rank of a node its own, into the node's one copy.
    static func pack(_ w1: UnsafePointer<Float>, _ a: Architecture, elements: Range<Int>, into pairs: UnsafeMutablePointer<UInt32>) {
        guard !elements.isEmpty else { return }
        bf16_pack_pairs(w1, elements.lowerBound, elements.count, a.hidden, pairs)
    }

    deinit {
        packedAt.deallocate()
        unpacked.deallocate()
        if !packedBySteps { w1Pairs.deallocate() }
        x.deallocate()
        xPairs.deallocate()
        dHiddenPairs.deallocate()
    }
}
