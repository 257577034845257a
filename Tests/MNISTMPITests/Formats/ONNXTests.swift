import Foundation
import Testing

@testable import MNISTMPI

struct ONNXTests {
    @Test func protobufWireFormat() {
        // Known encodings from the protobuf documentation: 150 in field 1 is 08 96 01.
        #expect(ProtobufMessage.build { $0.int(1, 150) }.bytes == [0x08, 0x96, 0x01])
        #expect(ProtobufMessage.build { $0.string(2, "testing") }.bytes == [0x12, 0x07] + Array("testing".utf8))
        #expect(
            ProtobufMessage.build { $0.packedInts(4, [3, 270, 86942]) }.bytes
                == [0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05])
        #expect(ProtobufMessage.build { $0.int(1, -1) }.bytes == [0x08] + Array(repeating: 0xff, count: 9) + [0x01])
        #expect(ProtobufMessage.build { $0.float(2, 1) }.bytes == [0x15, 0x00, 0x00, 0x80, 0x3f])
    }

    @Test func onnxModelCarriesEveryWeight() {
        let a = Architecture()
        let params = a.glorotInitialization(seed: 1)
        let bytes = ONNX.model(params, a, dataset: .mnist, testAccuracy: nil)
        // Header: ir_version 7 first, then the producer name.
        #expect(Array(bytes.prefix(2)) == [0x08, 0x07])
        #expect(bytes.count > a.parameterCount * 4)
        // The raw bytes of dense_1.bias appear verbatim.
        let bias = (0..<a.b2.count).flatMap { i in withUnsafeBytes(of: params.pointer[a.b2.offset + i].bitPattern.littleEndian, Array.init)
        }
        let kernelTail = (0..<8).flatMap { i in
            withUnsafeBytes(of: params.pointer[a.w2.offset + a.w2.count - 8 + i].bitPattern.littleEndian, Array.init)
        }
        #expect(bytes.firstRange(of: kernelTail) != nil)
        #expect(bytes.firstRange(of: bias) != nil)
    }
}
