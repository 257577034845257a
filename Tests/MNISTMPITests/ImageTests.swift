import Foundation
import Testing
@testable import MNISTMPI

struct ImageTests {
    let gradient = GrayImage(width: 5, height: 3, pixels: (0..<15).map { UInt8($0 * 17) })

    @Test func pngRoundTrips() throws {
        let bytes = PNG.encode(gradient)
        #expect(Array(bytes.prefix(8)) == PNG.signature)
        #expect(try PNG.decode(bytes, name: "g.png") == gradient)
    }

    @Test func pngWithABadCRCOrTruncationIsRejected() throws {
        var bytes = PNG.encode(gradient)
        bytes[20] ^= 0xff  // inside IHDR's data
        #expect(throws: ImageError(file: "g.png", reason: "bad PNG: CRC mismatch in chunk IHDR")) {
            try PNG.decode(bytes, name: "g.png")
        }
        let whole = PNG.encode(gradient)
        #expect(throws: ImageError(file: "g.png", reason: "bad PNG: truncated chunk")) {
            try PNG.decode(Array(whole.prefix(whole.count - 20)), name: "g.png")
        }
    }

    @Test func pgmBinaryAndASCII() throws {
        #expect(try PGM.decode(PGM.encode(gradient), name: "g.pgm") == gradient)
        let ascii = Array("P2\n# a comment\n2 2\n15\n0 15\n5 10\n".utf8)
        #expect(try PGM.decode(ascii, name: "a.pgm") == GrayImage(width: 2, height: 2, pixels: [0, 255, 85, 170]))
        #expect(throws: ImageError(file: "t.pgm", reason: "bad PGM: truncated pixel data")) {
            try PGM.decode(Array("P5 4 4 255\n".utf8) + [1, 2, 3], name: "t.pgm")
        }
    }

    @Test func shrinkingAveragesTheCoveredArea() {
        // 4x2 -> 2x1: each output pixel is the mean of a 2x2 block.
        let image = GrayImage(width: 4, height: 2, pixels: [0, 100, 200, 255, 100, 200, 255, 255])
        #expect(image.resized(width: 2, height: 1).pixels == [100, 241])
        // 3x1 -> 2x1: output pixels cover 1.5 source pixels each.
        let odd = GrayImage(width: 3, height: 1, pixels: [0, 90, 180])
        #expect(odd.resized(width: 2, height: 1).pixels == [30, 150])
    }

    @Test func darkInkOnLightPaperIsInvertedToMNISTs() {
        var paper = [UInt8](repeating: 250, count: 56 * 56)
        paper[28 * 56 + 28] = 0
        let (image, inverted) = GrayImage(width: 56, height: 56, pixels: paper).mnistStyle()
        #expect(inverted)
        #expect(image.width == 28 && image.height == 28)
        #expect(image[14, 14] == 68)  // (255 + 3 x 5) / 4 = 67.5: the ink pixel averaged with three of paper
        #expect(image[0, 0] == 5)
        let ink = GrayImage(width: 28, height: 28, pixels: [UInt8](repeating: 0, count: 784))
        #expect(ink.mnistStyle().inverted == false)
    }
}

struct ExportFormatTests {
    @Test func protobufWireFormat() {
        // Known encodings from the protobuf documentation: 150 in field 1 is 08 96 01.
        #expect(ProtobufMessage.build { $0.int(1, 150) }.bytes == [0x08, 0x96, 0x01])
        #expect(ProtobufMessage.build { $0.string(2, "testing") }.bytes == [0x12, 0x07] + Array("testing".utf8))
        #expect(ProtobufMessage.build { $0.packedInts(4, [3, 270, 86942]) }.bytes
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
        let bias = (0..<a.b2.count).flatMap { i in withUnsafeBytes(of: params.pointer[a.b2.offset + i].bitPattern.littleEndian, Array.init) }
        let kernelTail = (0..<8).flatMap { i in withUnsafeBytes(of: params.pointer[a.w2.offset + a.w2.count - 8 + i].bitPattern.littleEndian, Array.init) }
        #expect(bytes.firstRange(of: kernelTail) != nil)
        #expect(bytes.firstRange(of: bias) != nil)
    }

    @Test func precisionAndRecallFromAKnownMatrix() {
        // truth 0: 8 right, 2 called 1; truth 1: 1 called 0, 9 right.
        let confusion = [[8, 2], [1, 9]]
        let zero = Report.precisionRecall(confusion, class: 0), one = Report.precisionRecall(confusion, class: 1)
        #expect(zero.precision == 8.0 / 9 && zero.recall == 0.8)
        #expect(one.precision == 9.0 / 11 && one.recall == 0.9)
        #expect(Report.precisionRecall([[0, 0], [0, 3]], class: 0) == (0, 0))
    }

    @Test func csvLogHasKerasColumns() {
        let epochs = [EpochMetrics(loss: 0.5, accuracy: 0.9, seconds: 1, steps: 469)]
        let v = Evaluation(loss: 0.25, accuracy: 0.95, samples: 10_000, confusion: [])
        #expect(CSVLog.text(epochs: epochs, validation: [v]) == "epoch,accuracy,loss,val_accuracy,val_loss\n0,0.9,0.5,0.95,0.25\n")
        #expect(CSVLog.text(epochs: epochs, validation: [nil]) == "epoch,accuracy,loss\n0,0.9,0.5\n")
    }
}
