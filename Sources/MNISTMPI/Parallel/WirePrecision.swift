/// The number format gradient sums travel in between nodes. Sums are always accumulated in
/// float32; `bfloat16` rounds each value to the nearest bfloat16 (ties to even) when it is
/// sent, halving the bytes on the wire.
public enum WirePrecision: String, Sendable, CaseIterable {
    case float32
    case bfloat16

    /// Bytes per value on the wire.
    public var bytesPerValue: Int { self == .float32 ? 4 : 2 }

    /// Writes `count` values to `wire` in this format.
    func encode(_ values: UnsafePointer<Float>, count: Int, into wire: UnsafeMutableRawPointer) {
        switch self {
        case .float32:
            wire.copyMemory(from: values, byteCount: count * 4)
        case .bfloat16:
            let out = wire.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { out[i] = BFloat16.bits(values[i]) }
        }
    }

    /// Replaces `values` with the `count` values in `wire`.
    func decode(_ wire: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .float32:
            values.update(from: wire.assumingMemoryBound(to: Float.self), count: count)
        case .bfloat16:
            let bits = wire.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { values[i] = BFloat16.float(bits[i]) }
        }
    }

    /// Adds the `count` values in `wire` to `values` (in float32).
    func decodeAdding(_ wire: UnsafeRawPointer, to values: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .float32:
            let incoming = wire.assumingMemoryBound(to: Float.self)
            for i in 0..<count { values[i] = incoming[i] + values[i] }
        case .bfloat16:
            let bits = wire.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { values[i] = BFloat16.float(bits[i]) + values[i] }
        }
    }

    /// Rounds `values` in place to what the wire would carry, so that a value kept locally
    /// equals its copies sent elsewhere.
    func round(_ values: UnsafeMutablePointer<Float>, count: Int) {
        guard self == .bfloat16 else { return }
        for i in 0..<count { values[i] = BFloat16.float(BFloat16.bits(values[i])) }
    }
}

/// bfloat16: the top 16 bits of a float32 (sign, 8 exponent bits, 7 mantissa bits).
public enum BFloat16 {
    /// The bfloat16 nearest to `value`, ties to even; NaN stays a (quiet) NaN.
    @inline(__always)
    public static func bits(_ value: Float) -> UInt16 {
        let x = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: x >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (x &+ 0x7FFF &+ ((x >> 16) & 1)) >> 16)
    }

    /// The float32 equal to the bfloat16 `bits`.
    @inline(__always)
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }
}
