/// Keras's RMSprop without momentum or centering:
/// `v = rho * v + (1 - rho) * g²`, `w -= lr * g / sqrt(v + epsilon)`, with `v` starting at 0.
public struct RMSprop: Sendable, Equatable {
    public var learningRate: Float = 0.001
    /// A double, as Keras's Python float: `1 - rho` is formed in double, then rounded to float32.
    public var rho = 0.9
    public var epsilon: Float = 1e-7

    public init(learningRate: Float = 0.001, rho: Double = 0.9, epsilon: Float = 1e-7) {
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
    }

    /// Updates `weights` and `velocity` in place from gradient SUMS divided here by `batchSize`,
    /// with the instruction set's `Kernels` variant (all give the same bits).
    public func step(
        weights: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>,
        gradientSums: UnsafePointer<Float>, batchSize: Int, count: Int
    ) {
        // Float(0.1), as Keras has it, not 1 - Float(0.9) = 0.100000024.
        Kernels.table.rmsprop(
            weights, velocity, gradientSums, count, Float(batchSize), Float(rho), Float(1 - rho),
            learningRate, epsilon)
    }

    /// `step` with gradient sums `parts[0] + parts[1] + ...` (added in that order, a block at a
    /// time while it is in cache). One part is the plain step.
    public func step(
        weights: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>,
        gradientParts parts: UnsafeBufferPointer<UnsafePointer<Float>?>, batchSize: Int, count: Int
    ) {
        if parts.count == 1, let sums = parts[0] {
            step(weights: weights, velocity: velocity, gradientSums: sums, batchSize: batchSize, count: count)
            return
        }
        Kernels.table.rmsprop_parts(
            weights, velocity, parts.baseAddress, parts.count, count, Float(batchSize), Float(rho), Float(1 - rho),
            learningRate, epsilon)
    }
}
