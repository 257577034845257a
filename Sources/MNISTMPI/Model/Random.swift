/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, well-tested 64-bit generator whose whole
/// state is one integer, so a seed reproduces the same stream on any machine and rank.
///
/// - `state += 0x9E3779B97F4A7C15`, then the output is `state` mixed by two xor-shift-multiply rounds.
/// - Floats in [0, 1) take the top 24 bits: `Float(x >> 40) * 2^-24`.
/// - Integers below `n` use Lemire's multiply-and-reject method (no modulo bias).
public struct SplitMix64: Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for a named purpose (`stream`) derived from `seed`, e.g. one per epoch,
    /// so that streams never overlap in practice and each can be recomputed on its own.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits (every value exactly representable in Float).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform integer in 0..<n.
    public mutating func next(below n: Int) -> Int {
        precondition(n > 0)
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// Fisher–Yates permutation of 0..<n.
    public mutating func permutation(_ n: Int) -> [Int32] {
        var p = (0..<Int32(n)).map { $0 }
        var i = n - 1
        while i > 0 {
            p.swapAt(i, next(below: i + 1))
            i -= 1
        }
        return p
    }
}
