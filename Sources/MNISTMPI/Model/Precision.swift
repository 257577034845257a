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
    /// W1 (inputs x hidden) in pairs of rows: inputs / 2 x hidden.
    let w1Pairs: UnsafeMutablePointer<UInt32>
    /// W2, rounded.
    let w2: FloatBuffer
    /// The inputs, rounded: capacity x inputs, consecutive pixels in pairs.
    let x: UnsafeMutablePointer<UInt16>
    /// The inputs in pairs of samples (rows), for the first kernel's gradient.
    let xPairs: UnsafeMutablePointer<UInt32>
    /// The hidden layer's gradients in pairs of samples.
    let dHiddenPairs: UnsafeMutablePointer<UInt32>

    init(_ a: Architecture, capacity: Int) {
        precondition(a.inputs % 2 == 0 && a.hidden % 32 == 0, "the first layer's product runs 32 columns and pairs of inputs at a time")
        let pairs = (capacity + 1) / 2
        w1Pairs = .allocate(capacity: a.inputs / 2 * a.hidden)
        w2 = FloatBuffer(count: a.w2.count)
        x = .allocate(capacity: max(capacity, 1) * a.inputs)
        xPairs = .allocate(capacity: max(pairs, 1) * a.inputs)
        dHiddenPairs = .allocate(capacity: max(pairs, 1) * a.hidden)
    }

    deinit {
        w1Pairs.deallocate()
        x.deallocate()
        xPairs.deallocate()
        dHiddenPairs.deallocate()
    }
}
