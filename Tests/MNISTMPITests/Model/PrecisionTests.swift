import CKernels
import Foundation
import Testing

@testable import MNISTMPI

/// `--precision mixed-bfloat16` against an emulation written here from the rounding points that
/// `Precision` lists: scalar loops, products summed in Double, bfloat16 rounding by bit
/// arithmetic (to nearest, ties to even). Runs where the CPU has AVX512_BF16; elsewhere the
/// policy is refused (`PrecisionRefusalTests`, in the system tests).
@Suite(.enabled(if: bf16_products_supported() != 0, "the CPU lacks AVX512_BF16"))
struct PrecisionTests {
    static func bf(_ f: Float) -> Float {
        let bits = f.bitPattern
        return Float(bitPattern: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000)
    }

    /// The pair product of AVX512_BF16 equals the Double sum of the bfloat16 products to float32
    /// rounding, for rows that fill the 8-row tiles and rows that do not, with either stride.
    @Test(arguments: [(8, 32, 5), (13, 64, 392), (3, 32, 1)])
    func pairProductIsTheSumOfBFloat16Products(m: Int, n: Int, pairs: Int) {
        var rng = SplitMix64(seed: 3, stream: UInt64(m))
        let a = (0..<(m * 2 * pairs)).map { _ in Self.bf(rng.nextUnitFloat() - 0.5) }  // m x 2 pairs, row-major
        let b = (0..<(2 * pairs * n)).map { _ in Self.bf(rng.nextUnitFloat() - 0.5) }  // 2 pairs x n
        let aPairs = (0..<(m * pairs)).map { k in
            UInt32(a[2 * k].bitPattern >> 16) | UInt32(a[2 * k + 1].bitPattern >> 16) << 16
        }
        var bPairs = [UInt32](repeating: 0, count: pairs * n)
        b.withUnsafeBufferPointer { bf16_pair_rows($0.baseAddress, 2 * pairs, n, n, &bPairs) }
        // The same a, transposed (pairs x m), read with the other stride.
        let aTransposed = (0..<(m * pairs)).map { k in aPairs[(k % m) * pairs + k / m] }
        for (operand, row, pair) in [(aPairs, pairs, 1), (aTransposed, 1, m)] {
            var c = [Float](repeating: .nan, count: m * n)
            bf16_pair_product(m, n, pairs, operand, row, pair, bPairs, n, &c, n, nil, nil)
            for i in 0..<m {
                for j in 0..<n {
                    let exact = (0..<(2 * pairs)).reduce(0.0) { $0 + Double(a[i * 2 * pairs + $1]) * Double(b[$1 * n + j]) }
                    #expect(abs(Double(c[i * n + j]) - exact) <= 1e-5 * max(1, abs(exact)), "c[\(i)][\(j)] stride \(row)")
                }
            }
            // Some rows over some pairs, named by lists; the other rows untouched.
            let rows = (0..<m).filter { $0 % 2 == 0 }.map(Int32.init), some = (0..<pairs).filter { $0 % 3 != 1 }.map(Int32.init)
            c = [Float](repeating: .nan, count: m * n)
            bf16_pair_product(rows.count, n, some.count, operand, row, pair, bPairs, n, &c, n, rows, some)
            for i in 0..<m {
                for j in 0..<n {
                    guard rows.contains(Int32(i)) else {
                        #expect(c[i * n + j].isNaN, "c[\(i)][\(j)] written")
                        continue
                    }
                    var exact = 0.0
                    for p in some.map(Int.init) {
                        for k in [2 * p, 2 * p + 1] { exact += Double(a[i * 2 * pairs + k]) * Double(b[k * n + j]) }
                    }
                    #expect(abs(Double(c[i * n + j]) - exact) <= 1e-5 * max(1, abs(exact)), "c[\(i)][\(j)] listed, stride \(row)")
                }
            }
        }
    }

    /// Every entry is one chain of AVX512_BF16 dot products over all the pairs in order (each
    /// adds its odd product, then its even one, rounding each sum to float32), whichever pairs
    /// the kernel skips as zero in a tile of rows: bit for bit, with pairs zero in every row,
    /// in some tiles' rows, in single rows, zeros of either sign, rows that do not fill a tile,
    /// columns that do not fill 64, and more pairs than one chunk of the kernel's list (1,024).
    @Test func pairProductSkipsOnlyPairsThatAddNothing() {
        let (m, n, pairs) = (11, 96, 1100)
        var rng = SplitMix64(seed: 9, stream: 1)
        func value() -> Float { Self.bf((rng.nextUnitFloat() - 0.5) * 4 + 0.01) }
        let plusZero: UInt16 = 0, minusZero: UInt16 = 0x8000
        var a = [[UInt16]](repeating: [UInt16](repeating: 0, count: 2 * pairs), count: m)  // m x 2 pairs halves
        for i in 0..<m {
            for p in 0..<pairs {
                let halves: (UInt16, UInt16)
                switch p % 7 {
                case 0: halves = (plusZero, plusZero)  // dark in every row
                case 1: halves = i < 4 ? (plusZero, minusZero) : (UInt16(value().bitPattern >> 16), plusZero)  // dark in the first tile
                case 2: halves = rng.next() % 3 == 0 ? (UInt16(value().bitPattern >> 16), minusZero) : (plusZero, plusZero)
                case 3: halves = (minusZero, plusZero)  // a -0 low half: counted lit, adds -0
                default: halves = (UInt16(value().bitPattern >> 16), UInt16(value().bitPattern >> 16))
                }
                (a[i][2 * p], a[i][2 * p + 1]) = halves
            }
        }
        let b = (0..<(2 * pairs * n)).map { _ in value() }  // 2 pairs x n
        func float(_ half: UInt16) -> Float { Float(bitPattern: UInt32(half) << 16) }
        func chain(_ i: Int, _ j: Int, over list: [Int]) -> UInt32 {
            var sum: Float = 0
            for p in list {
                sum = sum + float(a[i][2 * p + 1]) * b[(2 * p + 1) * n + j]
                sum = sum + float(a[i][2 * p]) * b[2 * p * n + j]
            }
            return sum.bitPattern
        }
        let aPairs = (0..<(m * pairs)).map { k in UInt32(a[k / pairs][2 * (k % pairs)]) | UInt32(a[k / pairs][2 * (k % pairs) + 1]) << 16 }
        let aTransposed = (0..<(m * pairs)).map { k in aPairs[(k % m) * pairs + k / m] }
        var bPairs = [UInt32](repeating: 0, count: pairs * n)
        b.withUnsafeBufferPointer { bf16_pair_rows($0.baseAddress, 2 * pairs, n, n, &bPairs) }
        let rows = [10, 3, 4, 0, 9, 1, 7], some = (0..<pairs).filter { $0 % 11 != 5 }
        let all = (0..<(m * n)).map { chain($0 / n, $0 % n, over: Array(0..<pairs)) }
        let listed = (0..<(m * n)).map { rows.contains($0 / n) ? chain($0 / n, $0 % n, over: some) : Float.nan.bitPattern }
        for (operand, row, pair) in [(aPairs, pairs, 1), (aTransposed, 1, m)] {
            var c = [Float](repeating: .nan, count: m * n)
            bf16_pair_product(m, n, pairs, operand, row, pair, bPairs, n, &c, n, nil, nil)
            #expect((0..<(m * n)).filter { c[$0].bitPattern != all[$0] }.count == 0, "stride \(row): entries differ")
            c = [Float](repeating: .nan, count: m * n)
            bf16_pair_product(rows.count, n, some.count, operand, row, pair, bPairs, n, &c, n, rows.map(Int32.init), some.map(Int32.init))
            #expect((0..<(m * n)).filter { c[$0].bitPattern != listed[$0] }.count == 0, "stride \(row), listed: entries differ")
        }
    }

    @Test func roundingsAreToNearestEvenAndTheBiasIsAddedRounded() {
        let x: [Float] = [1, 1.00390625, 1.005859375, 1.001953125, 1.005859375 + 1e-6, -3.14159, .nan, 1e30, -0.0, 65504.7]
        var out = [Float](repeating: 0, count: x.count)
        bf16_round(x, &out, x.count)
        for (v, r) in zip(x, out) where !v.isNaN { #expect(r.bitPattern == Self.bf(v).bitPattern, "\(v)") }
        #expect(out[6].isNaN)
        var y: [Float] = [0.3, -0.2, 2.5, -1e-3, .nan]
        let bias: [Float] = [0.1, 0.1, 1.0 / 3, 0.0005, 0]
        let expected = zip(y, bias).map { Self.bf($0 + Self.bf($1)) }
        bf16_bias_round(&y, bias, 1, 5, 1)
        #expect(Array(y[0..<4]) == [expected[0], 0, expected[2], 0] && y[4].isNaN, "\(y)")
    }

    /// One step's logits and gradients, on six real-sized samples, equal the emulation's (to
    /// the float32 accumulation order, which can move a rounding by one bfloat16 step now and
    /// then); float32 is far from it, so the roundings do happen. With a dark border and dark
    /// columns, the products skip those inputs (`Network.forward`), to the same result.
    @Test(arguments: [false, true])
    func forwardAndBackwardFollowTheRoundingPoints(darkInputs: Bool) {
        let a = Architecture(), rows = 6
        let params = a.glorotInitialization(seed: 5)
        for i in a.b1.offset..<a.parameterCount where i < a.w2.offset || i >= a.b2.offset { params[i] = 0.01 * Float(i % 7) }
        let random = TrainerTests().randomSplit(rows)
        let dark = { (k: Int) in darkInputs && (k < 100 || k >= 700 || k % 28 < 3 || k == 401) }
        let split = Split(
            images: (0..<(rows * a.inputs)).map { dark($0 % a.inputs) ? 0 : random.images[$0] },
            labels: (0..<rows).map { random.labels[$0] })
        func run(_ precision: Precision) -> (logits: [Float], gradients: [Float]) {
            let ws = Workspace(a, capacity: rows, precision: precision)
            ws.load(split, indices: (0..<Int32(rows)))
            Network.prepare(params, ws)
            Network.forward(params, ws, rows: 0..<rows)
            let gradients = FloatBuffer(count: a.parameterCount)
            _ = Network.backward(ws, rows: 0..<rows, gradients: gradients.pointer)
            return (Array(UnsafeBufferPointer(start: ws.logits.pointer, count: rows * a.classes)), gradients.array)
        }
        let (emulatedLogits, emulated) = emulate(params.array, split, a, rows: rows)
        let mixed = run(.mixedBFloat16), single = run(.float32)
        func difference(_ x: [Float], _ y: [Float], _ range: Range<Int>) -> Double {
            let num = range.reduce(0.0) { $0 + abs(Double(x[$1]) - Double(y[$1])) }
            return num / max(range.reduce(0.0) { $0 + abs(Double(y[$1])) }, 1e-30)
        }
        #expect(difference(mixed.logits, emulatedLogits, 0..<(rows * a.classes)) < 1e-3)
        #expect(difference(single.logits, emulatedLogits, 0..<(rows * a.classes)) > 1e-3)
        for t in a.tensors {
            let range = t.offset..<(t.offset + t.count)
            let (mine, float32) = (difference(mixed.gradients, emulated, range), difference(single.gradients, emulated, range))
            #expect(mine < 1e-6 && float32 > 1e-4, "\(t.name): mixed \(mine), float32 \(float32) from the emulation")
        }
    }

    /// W1 is packed into pairs only where a forward reads it, once between two `prepare`s: a
    /// forward of rows that light other pixels, and a forward after new weights and `prepare`,
    /// give the bits a workspace made for them alone gives.
    @Test func w1PairsFollowTheLitInputsAndTheWeights() {
        guard Precision.mixedBFloat16.runsHere else { return }  // PrecisionTests covers the refusal
        let a = Architecture(), rows = 4, random = TrainerTests().randomSplit(rows)
        // Rows 0 and 1 light the left half of the image only, rows 2 and 3 the right half.
        let split = Split(
            images: (0..<(rows * a.inputs)).map { i in (i % a.inputs % 28 < 14) == (i / a.inputs < 2) ? random.images[i] : 0 },
            labels: (0..<rows).map { random.labels[$0] })
        func hidden(_ ws: Workspace, _ range: Range<Int>) -> [UInt32] {
            (range.lowerBound * a.hidden..<range.upperBound * a.hidden).map { ws.hidden[$0].bitPattern }
        }
        func differing(_ x: [UInt32], _ y: [UInt32]) -> Int { zip(x, y).filter { $0 != $1 }.count }
        func alone(_ params: FloatBuffer, _ range: Range<Int>) -> [UInt32] {
            let ws = Workspace(a, capacity: rows, precision: .mixedBFloat16)
            ws.load(split, indices: 0..<Int32(rows))
            Network.prepare(params, ws)
            Network.forward(params, ws, rows: range)
            return hidden(ws, range)
        }
        let ws = Workspace(a, capacity: rows, precision: .mixedBFloat16)
        ws.load(split, indices: 0..<Int32(rows))
        let first = a.glorotInitialization(seed: 1), second = a.glorotInitialization(seed: 2)
        Network.prepare(first, ws)
        Network.forward(first, ws, rows: 0..<2)
        Network.forward(first, ws, rows: 2..<4)
        #expect(differing(hidden(ws, 2..<4), alone(first, 2..<4)) == 0, "pairs the first forward did not read")
        Network.prepare(second, ws)
        Network.forward(second, ws, rows: 0..<4)
        #expect(differing(hidden(ws, 0..<4), alone(second, 0..<4)) == 0, "new weights")
    }

    /// The optimizer's ranks pack W1's pairs piece by piece, cut anywhere (inside a row, between
    /// the two rows of a pair), in any order: the pieces give the pairs the whole gives.
    @Test(arguments: [[0, 7, 85, 86, 240], [0, 240], [0, 40, 80, 120, 160, 200, 240], [0, 1, 2, 239, 240]])
    func packingPiecesOfW1GivesTheWholesPairs(cuts: [Int]) {
        let (rows, columns) = (6, 40)
        let w = (0..<(rows * columns)).map { Float(sin(Double($0) * 0.37)) * 3 }
        var whole = [UInt32](repeating: 0, count: rows / 2 * columns)
        var pieces = [UInt32](repeating: 0xdead_beef, count: rows / 2 * columns)
        bf16_pair_rows(w, rows, columns, columns, &whole)
        for (from, to) in zip(cuts, cuts.dropFirst()).reversed() { bf16_pack_pairs(w, from, to - from, columns, &pieces) }
        #expect(pieces == whole)
        #expect(Set(whole).count > whole.count / 2, "the pairs are not all alike")
    }

    /// The emulation: logits and the gradient of the loss sum, laid out as the parameters.
    func emulate(_ p: [Float], _ split: Split, _ a: Architecture, rows: Int) -> ([Float], [Float]) {
        let (n, h, c) = (a.inputs, a.hidden, a.classes)
        let x = (0..<(rows * n)).map { Self.bf(Float(split.images[$0]) / 255) }
        let w1 = p[a.w1.offset..<(a.w1.offset + n * h)].map(Self.bf), b1 = p[a.b1.offset..<(a.b1.offset + h)].map(Self.bf)
        let w2 = p[a.w2.offset..<(a.w2.offset + h * c)].map(Self.bf), b2 = p[a.b2.offset..<(a.b2.offset + c)].map(Self.bf)
        var hidden = [Float](repeating: 0, count: rows * h), logits = [Float](repeating: 0, count: rows * c)
        for r in 0..<rows {
            for j in 0..<h {
                let sum = (0..<n).reduce(0.0) { $0 + Double(x[r * n + $1]) * Double(w1[$1 * h + j]) }
                hidden[r * h + j] = max(Self.bf(Float(sum) + b1[j]), 0)
            }
            for k in 0..<c {
                let sum = (0..<h).reduce(0.0) { $0 + Double(hidden[r * h + $1]) * Double(w2[$1 * c + k]) }
                logits[r * c + k] = Self.bf(Float(sum) + b2[k])
            }
        }
        var g = [Float](repeating: 0, count: a.parameterCount)
        var dHidden = [Float](repeating: 0, count: rows * h)
        for r in 0..<rows {
            let z = logits[(r * c)..<((r + 1) * c)].map(Double.init), top = z.max()!
            let e = z.map { exp($0 - top) }, total = e.reduce(0, +)
            let dz = (0..<c).map { Self.bf(Float(e[$0] / total - ($0 == Int(split.labels[r]) ? 1 : 0))) }
            for k in 0..<c {
                g[a.b2.offset + k] += dz[k]
                for j in 0..<h { g[a.w2.offset + j * c + k] += hidden[r * h + j] * dz[k] }
            }
            for j in 0..<h {
                let sum = (0..<c).reduce(0.0) { $0 + Double(dz[$1]) * Double(w2[j * c + $1]) }
                dHidden[r * h + j] = hidden[r * h + j] > 0 ? Self.bf(Float(sum)) : 0
                g[a.b1.offset + j] += dHidden[r * h + j]
            }
        }
        for i in 0..<n {
            for j in 0..<h {
                g[a.w1.offset + i * h + j] = Float((0..<rows).reduce(0.0) { $0 + Double(x[$1 * n + i]) * Double(dHidden[$1 * h + j]) })
            }
        }
        return (logits, g)
    }
}
