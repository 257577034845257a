import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

@Suite struct SafetensorsTests {
    let file = Safetensors.File(
        tensors: [
            .init(name: "a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
            .init(name: "b", shape: [1], values: [-0.5]),
        ],
        metadata: ["note": "say \"hi\"\n"])

    /// The exact bytes the format prescribes.
    @Test func encodesTheSpecifiedLayout() throws {
        let bytes = Safetensors.encode(file)
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(bytes[2..<8].allSatisfy { $0 == 0 })
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        #expect(
            header.hasPrefix(
                #"{"__metadata__":{"note":"say \"hi\"\n"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"F32","shape":[1],"data_offsets":[24,28]}}"#
            ))
        #expect(bytes.count == 8 + headerLength + 28)
        // 1.0f little-endian is 00 00 80 3f.
        #expect(Array(bytes[(8 + headerLength)..<(12 + headerLength)]) == [0, 0, 0x80, 0x3f])
    }

    @Test func roundTrips() throws {
        #expect(try Safetensors.decode(Safetensors.encode(file), name: "f") == file)
    }

    @Test func rejectsMalformedFiles() {
        let good = Safetensors.encode(file)
        let cases: [[UInt8]] = [
            [],  // empty
            Array(good.prefix(good.count - 1)),  // truncated data
            good + [0],  // trailing byte
            [255, 255, 255, 255, 0, 0, 0, 0] + Array(good[8...]),  // header length beyond the file
            Array(good[0..<8]) + Array(repeating: UInt8(ascii: "x"), count: good.count - 8),  // not JSON
        ]
        for bytes in cases {
            #expect(throws: FileError.self) { try Safetensors.decode(bytes, name: "f") }
        }
    }

    /// A header whose sizes overflow or exceed the file is an error, not a trap or a huge allocation.
    @Test(arguments: [
        #"[4294967296, 4294967296, 4294967296, 4]"#,  // element count overflows Int
        #"[2147483648, 2147483648]"#,  // fits Int, far beyond the file
        #"[-1, 4]"#,
        #"[1e300]"#,
        #"["a"]"#,
    ])
    func rejectsShapesThatOverflowOrExceedTheFile(shape: String) {
        var header = Array(#"{"t":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,16]}}"#.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        ByteOrder.appendLittleEndian(UInt64(header.count), to: &bytes)
        bytes += header + [UInt8](repeating: 0, count: 16)
        #expect(throws: FileError.self) { try Safetensors.decode(bytes, name: "f") }
    }

    @Test func modelFileChecksShapes() throws {
        let arch = Architecture(inputs: 4, hidden: 3, classes: 2)
        let params = arch.glorotInitialization(seed: 1)
        let dir = Fixtures.temporaryDirectory()
        try ModelFile.save(params, arch, metadata: ["x": "y"], to: dir + "/m.safetensors")
        #expect(try ModelFile.load(dir + "/m.safetensors", arch).array == params.array)
        #expect(
            throws: ModelFile.LoadError.wrongShape(file: dir + "/m.safetensors", name: "dense.kernel", found: [4, 3], expected: [4, 5])
        ) {
            try ModelFile.load(dir + "/m.safetensors", Architecture(inputs: 4, hidden: 5, classes: 2))
        }
    }
}
