import Foundation
import Testing

@testable import MNISTMPI

/// Each instruction-set variant of the element-wise kernels, forced in turn, gives exactly the
/// bits of the formula written out in Swift.
@Suite(.serialized) struct KernelsTests {
    static let variants = ["avx512", "avx2", "sse2"]

    func values(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed, stream: 3)
        return (0..<n).map { i in i % 17 == 0 ? 0 : (2 * rng.nextUnitFloat() - 1) * 3 }
    }

    /// How many of the values differ in their bits.
    func differingBits(_ a: [Float], _ b: [Float]) -> Int {
        zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count + abs(a.count - b.count)
    }

    /// Runs `body` with `variant` forced, then the variant in use before; skips it where this
    /// CPU lacks AVX-512 and `variant` is avx512 (every x86-64 here has AVX2).
    func forcing(_ variant: String, _ body: () throws -> Void) throws {
        let best = Kernels.name
        defer { Kernels.use(best) }
        try #require(Kernels.use(variant) || variant == "avx512", "\(variant) must run on any x86-64 with AVX2")
        guard Kernels.name == variant else { return }  // no AVX-512 on this CPU
        try body()
    }

    @Test(arguments: variants)
    func everyVariantComputesTheFormula(variant: String) throws {
        try forcing(variant) {
            let n = 1003  // not a multiple of any vector width
            let h = values(n, seed: 2)
            // Whole chunks of +-0 (which the kernel only decays) beside scattered zeros; batches of a
            // power of two (whose division it turns into a multiplication) and not; one part or two.
            var sums = values(n, seed: 1), other = values(n, seed: 6)
            for i in 64..<320 { (sums[i], other[i]) = (i % 3 == 0 ? -0.0 : 0, 0) }
            for batch in [96, 128, 1, 3] {
                let w = FloatBuffer(values(n, seed: 3)), v = FloatBuffer(values(n, seed: 4).map(abs))
                var (wRef, vRef) = (w.array, v.array)
                sums.withUnsafeBufferPointer { first in
                    other.withUnsafeBufferPointer { second in
                        let parts: [UnsafePointer<Float>?] = [first.baseAddress, second.baseAddress]
                        parts.withUnsafeBufferPointer {
                            RMSprop().step(weights: w.pointer, velocity: v.pointer, gradientParts: $0, batchSize: batch, count: n)
                        }
                    }
                }
                for i in 0..<n {
                    let g = (sums[i] + other[i]) / Float(batch)
                    vRef[i] = Float(0.9) * vRef[i] + (Float(0.1) * g) * g
                    wRef[i] = wRef[i] - (Float(0.001) * g) / (vRef[i] + 1e-7).squareRoot()
                }
                #expect(differingBits(w.array, wRef) == 0, "weights, batch \(batch), two parts")
                #expect(differingBits(v.array, vRef) == 0, "velocities, batch \(batch), two parts")

                RMSprop().step(weights: w.pointer, velocity: v.pointer, gradientSums: sums, batchSize: batch, count: n)
                for i in 0..<n {
                    let g = sums[i] / Float(batch)
                    vRef[i] = Float(0.9) * vRef[i] + (Float(0.1) * g) * g
                    wRef[i] = wRef[i] - (Float(0.001) * g) / (vRef[i] + 1e-7).squareRoot()
                }
                #expect(differingBits(w.array, wRef) == 0, "weights, batch \(batch)")
                #expect(differingBits(v.array, vRef) == 0, "velocities, batch \(batch)")

                // Three parts (a node of three ranks) take the general loop: added in order.
                let third = values(n, seed: 7)
                [sums, other, third].map { FloatBuffer($0) }.withParts { parts in
                    RMSprop().step(weights: w.pointer, velocity: v.pointer, gradientParts: parts, batchSize: batch, count: n)
                }
                for i in 0..<n {
                    let g = (sums[i] + other[i] + third[i]) / Float(batch)
                    vRef[i] = Float(0.9) * vRef[i] + (Float(0.1) * g) * g
                    wRef[i] = wRef[i] - (Float(0.001) * g) / (vRef[i] + 1e-7).squareRoot()
                }
                #expect(differingBits(w.array, wRef) == 0, "weights, batch \(batch), three parts")
                #expect(differingBits(v.array, vRef) == 0, "velocities, batch \(batch), three parts")
            }

            let rows = 7, columns = n / rows
            let bias = values(columns, seed: 5)
            for relu in [false, true] {
                let y = FloatBuffer(Array(h.prefix(rows * columns)))
                Kernels.table.add_bias(y.pointer, bias, rows, columns, relu ? 1 : 0)
                let sums = (0..<(rows * columns)).map { h[$0] + bias[$0 % columns] }
                #expect(y.array.map(\.bitPattern) == sums.map { relu ? max($0, 0) : $0 }.map(\.bitPattern), "relu \(relu)")
            }
            let relu = FloatBuffer(h.map { max($0, 0) })
            let dh = FloatBuffer(sums)
            ReLU.backward(output: relu.pointer, gradient: dh.pointer, count: n)
            #expect(dh.array == zip(relu.array, sums).map { $0 > 0 ? $1 : 0 })

            let dy = FloatBuffer(Array(h.prefix(rows * columns))), columnSums = FloatBuffer(count: columns)
            Kernels.table.column_sums(dy.pointer, rows, columns, columnSums.pointer)
            let expected = (0..<columns).map { j in (0..<rows).reduce(Float(0)) { $0 + h[$1 * columns + j] } }
            #expect(columnSums.array.map(\.bitPattern) == expected.map(\.bitPattern))

            let bytes = (0..<n).map { UInt8($0 % 256) }, scaled = FloatBuffer(count: n)
            Kernels.table.scale_bytes(bytes, scaled.pointer, n)
            #expect(scaled.array == bytes.map { Float($0) / 255 })
        }
    }

    /// The product: each entry one chain of fused multiply-adds from +0 in the order of the
    /// inner index, on row and column counts that are no multiple of any tile, with and without
    /// the lists of rows and inner indices, a's entries along its rows or down its columns.
    @Test(arguments: variants)
    func everyVariantComputesTheProductsChains(variant: String) throws {
        try forcing(variant) {
            let (rowsOfA, innerOfA, n) = (21, 19, 53)
            let a = values(rowsOfA * innerOfA, seed: 7), b = values(innerOfA * n, seed: 8)
            let rowList: [Int32] = [0, 2, 3, 5, 8, 9, 10, 11, 12, 14, 17, 20], innerList: [Int32] = [1, 2, 4, 7, 8, 11, 15, 18]
            for (rows, inner) in [(nil, nil), (rowList, nil), (nil, innerList), (rowList, innerList)] as [([Int32]?, [Int32]?)] {
                for transposed in [false, true] {
                    // a(i, p) = a[i * aRow + p * aInner]: rows along a's rows, or down its columns.
                    let (aRow, aInner) = transposed ? (1, rowsOfA) : (innerOfA, 1)
                    let m = rows?.count ?? rowsOfA, k = inner?.count ?? innerOfA
                    let untouched = Float(bitPattern: 0x7fc0_dead)
                    let c = FloatBuffer(Array(repeating: untouched, count: rowsOfA * n))
                    Kernels.table.product(m, n, k, a, aRow, aInner, b, n, c.pointer, n, rows, inner)
                    var expected = Array(repeating: untouched, count: rowsOfA * n)
                    for i in rows.map({ $0.map(Int.init) }) ?? Array(0..<rowsOfA) {
                        for j in 0..<n {
                            var sum: Float = 0
                            for p in inner.map({ $0.map(Int.init) }) ?? Array(0..<innerOfA) {
                                sum.addProduct(a[i * aRow + p * aInner], b[p * n + j])
                            }
                            expected[i * n + j] = sum
                        }
                    }
                    #expect(differingBits(c.array, expected) == 0, "rows \(rows != nil), inner \(inner != nil), transposed \(transposed)")
                }
            }
        }
    }

    /// The kernels skip the inner indices at which a whole tile of rows holds +-0: still every
    /// term's chain, bit for bit, with indices zero in all rows, in the first tile's rows only,
    /// in scattered rows, more inner indices than one of the kernels' chunks (1,024), rows and
    /// columns that fill no tile, a's entries along its rows or down its columns.
    @Test(arguments: variants)
    func everyVariantSkipsOnlyTermsThatAddNothing(variant: String) throws {
        try forcing(variant) {
            let (m, k, n) = (11, 1100, 70)
            var a = values(m * k, seed: 9)
            for i in 0..<m {
                for p in 0..<k where p % 5 == 0 || (p % 5 == 1 && i < 4) || (p % 5 == 2 && (i * 7 + p) % 3 != 0) {
                    a[i * k + p] = (i + p) % 2 == 0 ? 0 : -0.0
                }
            }
            let b = values(k * n, seed: 10)
            var expected = [Float](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var sum: Float = 0
                    for p in 0..<k { sum.addProduct(a[i * k + p], b[p * n + j]) }
                    expected[i * n + j] = sum
                }
            }
            let transposed = (0..<(m * k)).map { a[($0 % m) * k + $0 / m] }  // k x m
            for (operand, aRow, aInner) in [(a, k, 1), (transposed, 1, m)] {
                let c = FloatBuffer(count: m * n)
                Kernels.table.product(m, n, k, operand, aRow, aInner, b, n, c.pointer, n, nil, nil)
                #expect(differingBits(c.array, expected) == 0, "a's rows \(aRow) apart")
            }
        }
    }

    /// (1 + 2⁻²³) + (1 + 2⁻²³)(2⁻²⁴ - 2⁻⁴⁷) lies just below the midpoint of two floats; the sum
    /// rounded to double first lies on it, and would round to the even one above.
    @Test(arguments: variants)
    func everyVariantRoundsEachMultiplyAddOnce(variant: String) throws {
        try forcing(variant) {
            let z = Float(1).nextUp, y = Float(0x1p-24) - Float(0x1p-47)
            for sign: Float in [1, -1] {
                let c = FloatBuffer(count: 1)
                Kernels.table.product(1, 1, 2, [sign * z, z], 1, 1, [1, sign * y], 1, c.pointer, 1, nil, nil)
                #expect(c[0] == sign * z, "\(c[0])")
            }
        }
    }

    /// Without MNIST_MPI_ISA the dispatcher picks what /proc/cpuinfo says this CPU has.
    @Test func theDefaultIsTheWidestThisCPURuns() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }!.split(separator: " ").map(String.init))
        let widest =
            ["avx512f", "avx512vl", "avx512bw", "avx512dq"].allSatisfy(flags.contains)
            ? "avx512"
            : ["avx2", "fma"].allSatisfy(flags.contains) ? "avx2" : "sse2"
        let best = Kernels.name
        defer { Kernels.use(best) }
        #expect(Kernels.use(""))
        #expect(Kernels.name == widest)
        #expect(!Kernels.use("neon"))
        #expect(Kernels.name == widest)
    }
}

extension Array where Element == FloatBuffer {
    /// `body` with the buffers' pointers as the parts of an `OwnedUpdate`.
    func withParts(_ body: (UnsafeBufferPointer<UnsafePointer<Float>?>) -> Void) {
        let parts: [UnsafePointer<Float>?] = map { UnsafePointer($0.pointer) }
        withExtendedLifetime(self) { parts.withUnsafeBufferPointer(body) }
    }
}
