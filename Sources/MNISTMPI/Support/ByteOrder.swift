/// Fixed-width integers and floats to and from bytes in a stated byte order: the file formats
/// (IDX and PNG are big-endian; safetensors, ONNX and protobuf little-endian) all use these.
public enum ByteOrder {
    /// `value`'s four bytes, most significant first.
    public static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    /// The big-endian UInt32 `offset` bytes into `bytes` (which must hold four bytes there).
    public static func readBigEndian(_ bytes: some Collection<UInt8>, at offset: Int) -> UInt32 {
        let word = bytes.dropFirst(offset).prefix(4)
        precondition(word.count == 4, "four bytes at \(offset)")
        return word.reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Appends `value`'s bytes, least significant first.
    public static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends the IEEE-754 bits of `value`, least significant first.
    public static func appendLittleEndian(_ value: Float, to bytes: inout [UInt8]) {
        appendLittleEndian(value.bitPattern, to: &bytes)
    }

    /// The little-endian integer of type `T` at `offset` of `bytes`.
    public static func readLittleEndian<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, at offset: Int, as: T.Type) -> T {
        T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// The little-endian integer of type `T` at `offset` of `bytes` (which must hold it there).
    public static func readLittleEndian<T: FixedWidthInteger>(_ bytes: [UInt8], at offset: Int, as type: T.Type) -> T {
        bytes.withUnsafeBytes { readLittleEndian($0, at: offset, as: type) }
    }
}
