import CSystem

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

    /// Updates `weights` and `velocity` in place from gradient SUMS divided here by `batchSize`.
    ///
    /// Eight lanes at a time with a vector square root (`csystem_sqrt8`): Swift's scalar
    /// `squareRoot()` keeps a libm fallback that stops the loop from vectorizing. Square root
    /// and division are correctly rounded either way, so the lanes compute exactly the formula.
    public func step(weights: UnsafeMutablePointer<Float>, velocity: UnsafeMutablePointer<Float>,
                     gradientSums: UnsafePointer<Float>, batchSize: Int, count: Int) {
        let scale = Lanes(repeating: Float(batchSize)), rho = Lanes(repeating: Float(rho))
        // Float(0.1), as Keras has it, not 1 - Float(0.9) = 0.100000024.
        let oneMinusRho = Lanes(repeating: Float(1 - self.rho))
        let lr = Lanes(repeating: learningRate), eps = Lanes(repeating: epsilon)
        var i = 0
        while i < count {
            let n = min(Lanes.scalarCount, count - i)
            var g = load(gradientSums + i, n), v = load(velocity + i, n), w = load(weights + i, n)
            g /= scale
            v = rho * v + oneMinusRho * g * g
            w -= lr * g / csystem_sqrt8(v + eps)
            store(v, velocity + i, n)
            store(w, weights + i, n)
            i += n
        }
    }
}

private typealias Lanes = SIMD8<Float>

/// The first `n` (at most 8) floats at `p`, the other lanes zero.
@inline(__always)
private func load(_ p: UnsafePointer<Float>, _ n: Int) -> Lanes {
    if n == Lanes.scalarCount { return UnsafeRawPointer(p).loadUnaligned(as: Lanes.self) }
    var x = Lanes()
    for k in 0..<n { x[k] = p[k] }
    return x
}

@inline(__always)
private func store(_ x: Lanes, _ p: UnsafeMutablePointer<Float>, _ n: Int) {
    if n == Lanes.scalarCount { return UnsafeMutableRawPointer(p).storeBytes(of: x, as: Lanes.self) }
    for k in 0..<n { p[k] = x[k] }
}
