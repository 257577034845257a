import Testing

@testable import MNISTMPI

@Suite struct RMSpropTests {
    /// Two steps on hand-computed values (Keras defaults: lr 0.001, rho 0.9, eps 1e-7).
    @Test func stepsMatchTheFormula() {
        let w = FloatBuffer([1.0, -2.0, 0.5])
        let v = FloatBuffer(count: 3)
        // Gradient sums over a batch of 4: the mean gradients are 0.5, -1.0, 0.
        let sums = FloatBuffer([2.0, -4.0, 0.0])
        let opt = RMSprop()
        opt.step(weights: w.pointer, velocity: v.pointer, gradientSums: sums.pointer, batchSize: 4, count: 3)
        // v = 0.1 g²; w -= 0.001 g / sqrt(v + 1e-7)
        let v1: [Double] = [0.1 * 0.25, 0.1 * 1.0, 0]
        let w1: [Double] = [1 - 0.001 * 0.5 / (v1[0] + 1e-7).squareRoot(), -2 + 0.001 / (v1[1] + 1e-7).squareRoot(), 0.5]
        for i in 0..<3 {
            #expect(abs(Double(v[i]) - v1[i]) <= 1e-6 * abs(v1[i]))
            #expect(abs(Double(w[i]) - w1[i]) <= 1e-6)
        }
        // Exact Keras arithmetic in Float32 for the first weight: 1 - 0.001*0.5/sqrt(0.025 + 1e-7).
        #expect(abs(w[0] - 0.99683774) < 1e-7)
        opt.step(weights: w.pointer, velocity: v.pointer, gradientSums: sums.pointer, batchSize: 4, count: 3)
        let v2 = 0.9 * v1[1] + 0.1 * 1.0
        #expect(abs(Double(v[1]) - v2) <= 1e-7)
        #expect(abs(Double(w[1]) - (w1[1] + 0.001 / (v2 + 1e-7).squareRoot())) <= 1e-6)
    }

    /// Keras's `1 - rho` is computed in double and cast to float32: exactly Float(0.1), where
    /// `1 - Float(0.9)` would be 0.100000024. One step from v = 0 with g = 1 stores it in v.
    @Test func oneMinusRhoIsKerasFloat32OfPointOne() {
        let w = FloatBuffer([0]), v = FloatBuffer([0]), g = FloatBuffer([1])
        RMSprop().step(weights: w.pointer, velocity: v.pointer, gradientSums: g.pointer, batchSize: 1, count: 1)
        #expect(v[0] == Float(0.1))
        #expect(v[0] != 1 - Float(0.9))
    }
}
