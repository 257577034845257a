import Testing

@testable import MNISTMPI

/// The encoder against the byte sequences of protobuf's encoding guide
/// (protobuf.dev/programming-guides/encoding) and the standard's rules.
struct ProtobufTests {
    func encoded(_ body: (inout ProtobufMessage) -> Void) -> [UInt8] { ProtobufMessage.build(body).bytes }

    @Test func varintsAndKeys() {
        // The guide's first example: field 1 = 150 is 08 96 01.
        #expect(encoded { $0.int(1, 150) } == [0x08, 0x96, 0x01])
        #expect(encoded { $0.int(1, 1) } == [0x08, 0x01])
        #expect(encoded { $0.int(16, 1) } == [0x80, 0x01, 0x01])  // a key past 15 takes two bytes
        // Negative int32/int64 values are ten bytes (two's complement, sign-extended to 64 bits).
        #expect(encoded { $0.int(1, -2) } == [0x08, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    @Test func lengthDelimitedAndFixed() {
        // The guide's string example: field 2 = "testing" is 12 07 74 65 73 74 69 6e 67.
        #expect(encoded { $0.string(2, "testing") } == [0x12, 0x07] + Array("testing".utf8))
        // A nested message: field 3 holding field 1 = 150 is 1a 03 08 96 01.
        #expect(encoded { $0.message(3, ProtobufMessage.build { $0.int(1, 150) }) } == [0x1A, 0x03, 0x08, 0x96, 0x01])
        // Fixed 32 and 64 bits, little-endian.
        #expect(encoded { $0.float(1, 1.0) } == [0x0D, 0x00, 0x00, 0x80, 0x3F])
        #expect(encoded { $0.double(1, 1.0) } == [0x09, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F])
        // Packed repeated ints: the guide's field 4 = [3, 270, 86942] is 22 06 03 8e 02 9e a7 05.
        #expect(encoded { $0.packedInts(4, [3, 270, 86942]) } == [0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05])
    }
}
