import Testing

@testable import MNISTMPI

/// bfloat16 rounding against a reference that picks the nearer of the two neighbouring
/// bfloat16 values in double precision, ties to the even one.
struct WirePrecisionTests {
    func reference(_ x: Float) -> UInt16 {
        let down = UInt16(x.bitPattern >> 16)
        let up = down &+ 1
        let (a, b) = (Double(BFloat16.float(down)), Double(BFloat16.float(up)))
        let (da, db) = (abs(Double(x) - a), abs(Double(x) - b))
        if da < db || b.isNaN { return down }
        if db < da { return up }
        return down & 1 == 0 ? down : up
    }

    @Test func roundsToNearestTiesToEven() {
        var rng = SplitMix64(seed: 3, stream: 0)
        for _ in 0..<200_000 {
            let x = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))
            guard x.isFinite, abs(x) < Float(bitPattern: 0x7F7F_0000) else { continue }
            #expect(BFloat16.bits(x) == reference(x), "\(x)")
        }
        // Exact ties: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 and goes to the even 1;
        // 1 + 3 * 2^-8 goes up to the even 1 + 2^-6.
        #expect(BFloat16.float(BFloat16.bits(1 + 0x1p-8)) == 1)
        #expect(BFloat16.float(BFloat16.bits(1 + 3 * 0x1p-8)) == 1 + 0x1p-6)
        #expect(BFloat16.float(BFloat16.bits(-2.5)) == -2.5)
    }

    @Test func specialValues() {
        #expect(BFloat16.float(BFloat16.bits(.infinity)) == .infinity)
        #expect(BFloat16.float(BFloat16.bits(-.infinity)) == -.infinity)
        #expect(BFloat16.float(BFloat16.bits(.nan)).isNaN)
        // A NaN whose payload sits only in the low bits must not round to infinity.
        #expect(BFloat16.float(BFloat16.bits(Float(bitPattern: 0x7F80_0001))).isNaN)
        #expect(BFloat16.float(BFloat16.bits(.greatestFiniteMagnitude)) == .infinity)
        #expect(BFloat16.bits(-0.0) == 0x8000)
    }

    @Test func wireRoundTrips() {
        let values: [Float] = [1, -2.75, 3.14159, 1e-20, 65504, 0.1]
        for wire in WirePrecision.allCases {
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: values.count * 4, alignment: 4)
            defer { bytes.deallocate() }
            var decoded = [Float](repeating: 7, count: values.count)
            values.withUnsafeBufferPointer { wire.encode($0.baseAddress!, count: values.count, into: bytes) }
            wire.decode(bytes, into: &decoded, count: values.count)
            var rounded = values
            wire.round(&rounded, count: values.count)
            #expect(decoded == rounded)
            #expect(wire == .float32 ? decoded == values : decoded != values)
            var sums: [Float] = Array(repeating: 1, count: values.count)
            wire.decodeAdding(bytes, to: &sums, count: values.count)
            #expect(sums == rounded.map { $0 + 1 })
        }
    }
}
