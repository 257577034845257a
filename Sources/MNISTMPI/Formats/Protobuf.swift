/// A minimal Protocol Buffers encoder: just the wire format ONNX models and TensorBoard events
/// need (varints, floats, doubles, length-delimited fields, packed int64s). Fields are written
/// in the order they are added.
public struct ProtobufMessage {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    private mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// An int32/int64/enum field (wire type 0; negative values take ten bytes, as protobuf says).
    public mutating func int(_ field: Int, _ value: Int) {
        key(field, wireType: 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    /// A float field (wire type 5, little-endian).
    public mutating func float(_ field: Int, _ value: Float) {
        key(field, wireType: 5)
        ByteOrder.appendLittleEndian(value, to: &bytes)
    }

    /// A double field (wire type 1, little-endian).
    public mutating func double(_ field: Int, _ value: Double) {
        key(field, wireType: 1)
        ByteOrder.appendLittleEndian(value.bitPattern, to: &bytes)
    }

    /// A bytes field (wire type 2).
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, wireType: 2)
        varint(UInt64(value.count))
        bytes += value
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: Int, _ value: ProtobufMessage) { bytes(field, value.bytes) }

    /// A repeated int64 field, packed (one length-delimited run of varints).
    public mutating func packedInts(_ field: Int, _ values: [Int]) {
        var run = ProtobufMessage()
        for v in values { run.varint(UInt64(bitPattern: Int64(v))) }
        bytes(field, run.bytes)
    }

    /// Builds a message in a closure: `.build { $0.int(1, 7) }`.
    public static func build(_ body: (inout ProtobufMessage) -> Void) -> ProtobufMessage {
        var message = ProtobufMessage()
        body(&message)
        return message
    }
}
