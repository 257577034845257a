/// Keras's RMSprop without momentum or centering:
/// `v = rho * v + (1 - rho) * g²`, `w -= lr * g / sqrt(v + epsilon)`, with `v` starting at 0.
public struct RMSprop: Sendable, Equatable {
    public var learningRate: Float = 0.001
    public var rho: Float = 0.9
    public var epsilon: Float = 1e-7

    public init(learningRate: Float = 0.001, rho: Float = 0.9, epsilon: Float = 1e-7) {
        self.learningRate = learningRate
        self.rho = rho
        self.epsilon = epsilon
    }

    /// Updates `weights` and `velocity` in place from gradient SUMS divided here by `batchSize`.
    public func step(weights: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>,
                     gradientSums: UnsafePointer<Float>, batchSize: Int, count: Int) {
        let scale = Float(batchSize), rho = rho, oneMinusRho = 1 - rho
        let lr = learningRate, eps = epsilon
        for i in 0..<count {
            let g = gradientSums[i] / scale
            let v = rho * velocity[i] + oneMinusRho * g * g
            velocity[i] = v
            weights[i] -= lr * g / (v + eps).squareRoot()
        }
    }
}
