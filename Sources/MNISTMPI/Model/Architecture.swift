/// The tutorial's network, `Dense(hidden, relu) -> Dense(classes, softmax)`, and where each of
/// its four tensors lives in one flat parameter vector.
///
/// Keeping all parameters (and so all gradients and optimizer state) contiguous lets the
/// optimizer be one loop and the gradient allreduce one MPI call per step.
/// Kernels are stored (in, out) row-major, as Keras stores them.
public struct Architecture: Sendable, Equatable {
    public let inputs: Int
    public let hidden: Int
    public let classes: Int

    public init(inputs: Int = 784, hidden: Int = 512, classes: Int = 10) {
        self.inputs = inputs
        self.hidden = hidden
        self.classes = classes
        w1 = Tensor(name: "dense.kernel", shape: [inputs, hidden], offset: 0)
        b1 = Tensor(name: "dense.bias", shape: [hidden], offset: w1.offset + w1.count)
        w2 = Tensor(name: "dense_1.kernel", shape: [hidden, classes], offset: b1.offset + b1.count)
        b2 = Tensor(name: "dense_1.bias", shape: [classes], offset: w2.offset + w2.count)
        parameterCount = b2.offset + b2.count
    }

    /// One tensor of the parameter vector.
    public struct Tensor: Sendable, Equatable {
        /// The Keras variable path, e.g. `dense.kernel`; safetensors files use these names.
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    // Laid out once: the training step reads these every step, and a Tensor built on each read
    // allocated its shape (about 21 allocations a step).
    public let w1: Tensor
    public let b1: Tensor
    public let w2: Tensor
    public let b2: Tensor
    public var tensors: [Tensor] { [w1, b1, w2, b2] }
    public let parameterCount: Int

    /// Glorot-uniform kernels (`U(-L, L)`, `L = sqrt(6 / (fan_in + fan_out))`) and zero biases,
    /// drawn from `SplitMix64(seed:stream: 0)`: first every element of W1 row-major, then W2.
    public func glorotInitialization(seed: UInt64) -> FloatBuffer {
        let params = FloatBuffer(count: parameterCount)
        var rng = SplitMix64(seed: seed, stream: 0)
        for kernel in [w1, w2] {
            let limit = (6.0 / Float(kernel.shape[0] + kernel.shape[1])).squareRoot()
            for i in kernel.offset..<(kernel.offset + kernel.count) {
                params[i] = (2 * rng.nextUnitFloat() - 1) * limit
            }
        }
        return params
    }
}
