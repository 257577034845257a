import CBLAS
import Testing

@testable import MNISTMPI

/// The network checked against an independent Double-precision implementation written with
/// plain loops: its forward pass, and the analytic gradient against central finite differences.
@Suite struct NetworkTests {
    let arch = Architecture(inputs: 7, hidden: 6, classes: 4)
    let rows = 5

    /// Loss SUM over the rows, computed in Double from scratch.
    func referenceLoss(_ p: [Double], x: [Double], labels: [Int]) -> Double {
        var total = 0.0
        for r in 0..<rows {
            var h = [Double](repeating: 0, count: arch.hidden)
            for j in 0..<arch.hidden {
                var s = p[arch.b1.offset + j]
                for k in 0..<arch.inputs { s += x[r * arch.inputs + k] * p[arch.w1.offset + k * arch.hidden + j] }
                h[j] = max(s, 0)
            }
            var z = [Double](repeating: 0, count: arch.classes)
            for c in 0..<arch.classes {
                var s = p[arch.b2.offset + c]
                for j in 0..<arch.hidden { s += h[j] * p[arch.w2.offset + j * arch.classes + c] }
                z[c] = s
            }
            let top = z.max()!
            total += top + log(z.map { exp($0 - top) }.reduce(0, +)) - z[labels[r]]
        }
        return total
    }

    func setUp() -> (FloatBuffer, Workspace, [Double], [Int]) {
        var rng = SplitMix64(seed: 7)
        let params = arch.glorotInitialization(seed: 3)
        // Non-zero biases so that their gradients are exercised in a general position.
        for i in arch.b1.offset..<(arch.b1.offset + arch.b1.count) { params[i] = rng.nextUnitFloat() - 0.3 }
        for i in arch.b2.offset..<(arch.b2.offset + arch.b2.count) { params[i] = rng.nextUnitFloat() - 0.5 }
        let ws = Workspace(arch, capacity: rows)
        var x: [Double] = []
        for i in 0..<(rows * arch.inputs) {
            ws.x[i] = rng.nextUnitFloat()
            x.append(Double(ws.x[i]))
        }
        let labels = (0..<rows).map { _ in rng.next(below: arch.classes) }
        for r in 0..<rows { ws.labels[r] = Int32(labels[r]) }
        return (params, ws, x, labels)
    }

    @Test func forwardMatchesReference() {
        let (params, ws, x, labels) = setUp()
        Network.prepare(params, ws)
        Network.forward(params, ws, rows: 0..<rows)
        let gradients = FloatBuffer(count: arch.parameterCount)
        let (loss, _) = Network.backward(ws, rows: 0..<rows, gradients: gradients.pointer)
        let reference = referenceLoss(params.array.map(Double.init), x: x, labels: labels)
        #expect(abs(Double(loss) - reference) < 1e-5 * max(1, abs(reference)))
    }

    @Test func gradientMatchesCentralDifferences() {
        let (params, ws, x, labels) = setUp()
        Network.prepare(params, ws)
        Network.forward(params, ws, rows: 0..<rows)
        let gradients = FloatBuffer(count: arch.parameterCount)
        _ = Network.backward(ws, rows: 0..<rows, gradients: gradients.pointer)

        let p = params.array.map(Double.init)
        let h = 1e-6
        var worst = 0.0
        for tensor in arch.tensors {
            for i in tensor.offset..<(tensor.offset + tensor.count) {
                var plus = p, minus = p
                plus[i] += h
                minus[i] -= h
                let numeric = (referenceLoss(plus, x: x, labels: labels) - referenceLoss(minus, x: x, labels: labels)) / (2 * h)
                let error = abs(Double(gradients[i]) - numeric) / max(1e-3, abs(numeric))
                worst = max(worst, error)
                #expect(error < 1e-3, "\(tensor.name)[\(i - tensor.offset)]: analytic \(gradients[i]), numeric \(numeric)")
            }
        }
        #expect(worst < 1e-3)
    }

    /// The first layer's products skip the inputs that no row lights: against Double sums of
    /// x W1 and xᵀ dy, with dark inputs first, last, in runs and alone (some -0), one, none,
    /// all, hundreds, and the gradient for a subset of the kernel's rows (the factored
    /// strategy's). And a row's outputs are the same bits in a batch as alone, whose product
    /// skips the inputs dark in that row only.
    @Test(arguments: [
        (24, [0, 1, 5, 9, 10, 11, 23]), (24, []), (24, [3]), (24, Array(0..<24)), (600, Array(stride(from: 0, to: 600, by: 5))),
    ])
    func firstLayerSkipsDarkInputsExactly(inputs: Int, dark: [Int]) {
        let a = Architecture(inputs: inputs, hidden: 32, classes: 3), rows = 6
        let ws = Workspace(a, capacity: rows)
        let params = a.glorotInitialization(seed: 5)
        var rng = SplitMix64(seed: 11)
        let isDark = (0..<inputs).map { dark.contains($0) }
        for r in 0..<rows {
            for k in 0..<a.inputs {
                ws.x[r * a.inputs + k] = isDark[k] ? (r == 2 ? -0.0 : 0) : (k + r) % 7 == 0 ? 0 : rng.nextUnitFloat()
            }
        }
        Network.forward(params, ws, rows: 0..<rows)
        let alone = Workspace(a, capacity: 1)
        for r in 0..<rows {
            for k in 0..<a.inputs { alone.x[k] = ws.x[r * a.inputs + k] }
            Network.forward(params, alone, rows: 0..<1)
            let differing = (0..<a.hidden).filter { alone.hidden[$0].bitPattern != ws.hidden[r * a.hidden + $0].bitPattern }
            #expect(differing.isEmpty, "row \(r) alone, units \(differing)")
        }
        for r in 0..<rows {
            for j in 0..<a.hidden {
                let exact = (0..<a.inputs).reduce(0.0) {
                    $0 + Double(ws.x[r * a.inputs + $1]) * Double(params[a.w1.offset + $1 * a.hidden + j])
                }
                #expect(abs(Double(ws.hidden[r * a.hidden + j]) - max(exact, 0)) <= 1e-5, "row \(r), unit \(j)")
            }
        }

        for i in 0..<(rows * a.hidden) { ws.dHidden[i] = rng.nextUnitFloat() - 0.5 }
        for kernelRows in [0..<a.inputs, 5..<17] {
            let kernel = FloatBuffer([Float](repeating: .nan, count: kernelRows.count * a.hidden))
            let bias = FloatBuffer([Float](repeating: .nan, count: a.hidden))
            Network.firstLayerGradients(ws, rows: 0..<rows, inputs: kernelRows, kernel: kernel.pointer, bias: bias.pointer)
            for (row, k) in kernelRows.enumerated() {
                for j in 0..<a.hidden {
                    let value = kernel[row * a.hidden + j]
                    if isDark[k] {
                        #expect(value.bitPattern == 0, "input \(k), unit \(j): \(value), not +0")
                        continue
                    }
                    let exact = (0..<rows).reduce(0.0) { $0 + Double(ws.x[$1 * a.inputs + k]) * Double(ws.dHidden[$1 * a.hidden + j]) }
                    #expect(abs(Double(value) - exact) <= 1e-6, "input \(k), unit \(j)")
                }
            }
            for j in 0..<a.hidden {
                let exact = (0..<rows).reduce(0.0) { $0 + Double(ws.dHidden[$1 * a.hidden + j]) }
                #expect(abs(Double(bias[j]) - exact) <= 1e-6)
            }
        }
    }

    /// The first layer's products, split by columns over OpenBLAS's threads: the same bits on
    /// one thread and on three (blocks of 192, 192 and 128 columns).
    @Test(arguments: [Precision.float32, .mixedBFloat16])
    func firstLayerGivesTheSameBitsOnAnyNumberOfThreads(precision: Precision) {
        guard precision.runsHere else { return }  // no AVX512_BF16: PrecisionTests covers the refusal
        let a = Architecture(), rows = 40, params = a.glorotInitialization(seed: 3)
        var rng = SplitMix64(seed: 4)
        let x = (0..<(rows * a.inputs)).map { $0 % a.inputs < 100 || rng.nextUnitFloat() < 0.5 ? 0 : rng.nextUnitFloat() }
        let dHidden = (0..<(rows * a.hidden)).map { _ in rng.nextUnitFloat() - 0.5 }
        func run(threads: Int32) -> [Float] {
            let before = openblas_get_num_threads()
            openblas_set_num_threads(threads)
            defer { openblas_set_num_threads(before) }
            let ws = Workspace(a, capacity: rows, precision: precision)
            for i in x.indices { ws.x[i] = x[i] }
            Network.prepare(params, ws)
            Network.forward(params, ws, rows: 0..<rows)
            for i in dHidden.indices { ws.dHidden[i] = dHidden[i] }
            let gradients = FloatBuffer(count: a.parameterCount)
            Network.firstLayerGradients(ws, rows: 0..<rows, into: gradients.pointer)
            return ws.hidden.array + gradients.array
        }
        let one = run(threads: 1), three = run(threads: 3)
        #expect(zip(one, three).filter { $0.bitPattern != $1.bitPattern }.count == 0)
    }

    @Test func glorotInitHasTheRightLimitsAndZeroBiases() {
        let a = Architecture()
        let params = a.glorotInitialization(seed: 42)
        let limit1 = (6.0 / Float(784 + 512)).squareRoot(), limit2 = (6.0 / Float(512 + 10)).squareRoot()
        let w1 = params.array[a.w1.offset..<(a.w1.offset + a.w1.count)]
        let w2 = params.array[a.w2.offset..<(a.w2.offset + a.w2.count)]
        #expect(w1.allSatisfy { abs($0) <= limit1 } && w2.allSatisfy { abs($0) <= limit2 })
        // Uniform on [-L, L]: max close to L, mean close to 0, variance L²/3.
        #expect(w1.max()! > 0.999 * limit1)
        let mean = w1.reduce(0, +) / Float(w1.count)
        let variance = w1.map { $0 * $0 }.reduce(0, +) / Float(w1.count)
        #expect(abs(mean) < 0.001 && abs(variance / (limit1 * limit1 / 3) - 1) < 0.01)
        #expect(params.array[a.b1.offset..<(a.b1.offset + a.b1.count)].allSatisfy { $0 == 0 })
        #expect(params.array[a.b2.offset..<(a.b2.offset + a.b2.count)].allSatisfy { $0 == 0 })
        #expect(a.parameterCount == 407_050)
        #expect(a.glorotInitialization(seed: 42).array == params.array)
    }
}

#if canImport(Glibc)
    import Glibc
#endif
