import Foundation
import Testing

@testable import MNISTMPI

struct ImageFileTests {
    let gradient = GrayImage(width: 5, height: 3, pixels: (0..<15).map { UInt8($0 * 17) })

    @Test func pngRoundTrips() throws {
        let bytes = PNG.encode(gradient)
        #expect(Array(bytes.prefix(8)) == PNG.signature)
        #expect(try PNG.decode(bytes, name: "g.png") == gradient)
    }

    @Test func pngWithABadCRCOrTruncationIsRejected() throws {
        var bytes = PNG.encode(gradient)
        bytes[20] ^= 0xff  // inside IHDR's data
        #expect(throws: FileError(file: "g.png", reason: "bad PNG: CRC mismatch in chunk IHDR")) {
            try PNG.decode(bytes, name: "g.png")
        }
        let whole = PNG.encode(gradient)
        #expect(throws: FileError(file: "g.png", reason: "bad PNG: truncated chunk")) {
            try PNG.decode(Array(whole.prefix(whole.count - 20)), name: "g.png")
        }
    }

    @Test func pgmBinaryAndASCII() throws {
        #expect(try PGM.decode(PGM.encode(gradient), name: "g.pgm") == gradient)
        let ascii = Array("P2\n# a comment\n2 2\n15\n0 15\n5 10\n".utf8)
        #expect(try PGM.decode(ascii, name: "a.pgm") == GrayImage(width: 2, height: 2, pixels: [0, 255, 85, 170]))
        #expect(throws: FileError(file: "t.pgm", reason: "bad PGM: truncated pixel data")) {
            try PGM.decode(Array("P5 4 4 255\n".utf8) + [1, 2, 3], name: "t.pgm")
        }
    }
}
