import Testing

@testable import MNISTMPI

@Suite struct ZipTests {
    let entries: [(name: String, bytes: [UInt8])] = [
        ("a.json", Array("{\"x\": 1}".utf8)), ("empty", []),
        ("big.bin", (0..<70_000).map { UInt8($0 % 251) }),
    ]

    @Test func storedArchiveRoundTrips() throws {
        let archive = try Zip.Archive(Zip.archive(entries), name: "t.zip")
        #expect(archive.entries.map(\.name) == entries.map(\.name))
        for (name, bytes) in entries { #expect(try archive.contents(of: name) == bytes) }
        #expect(try archive.contents(of: "missing") == nil)
    }

    /// The fixed layout APPNOTE prescribes: local header, data, directory, end record.
    @Test func writesTheSpecifiedLayout() {
        let bytes = Zip.archive([("n", [7])])
        #expect(Array(bytes[0..<4]) == [0x50, 0x4b, 0x03, 0x04])
        #expect(bytes[8] == 0 && bytes[9] == 0)  // method 0: stored
        #expect(Array(bytes[14..<18]) == le32(Zlib.crc32([7])))
        #expect(bytes[30] == UInt8(ascii: "n") && bytes[31] == 7)
        #expect(Array(bytes[(bytes.count - 22)..<(bytes.count - 18)]) == [0x50, 0x4b, 0x05, 0x06])
        #expect(bytes.count == 30 + 1 + 1 + 46 + 1 + 22)
    }

    /// A deflated entry (method 8), as other zip writers make them: raw deflate from zlib.
    @Test func readsDeflatedEntries() throws {
        let text = Array(String(repeating: "keras ", count: 1000).utf8)
        let deflated = Array(Zlib.compress(text).dropFirst(2).dropLast(4))  // strip zlib's header and Adler-32
        #expect(deflated.count < text.count / 10)
        let bytes = Self.deflatedArchive(name: "t.txt", deflated: deflated, original: text)
        #expect(try Zip.Archive(bytes, name: "t.zip").contents(of: "t.txt") == text)
    }

    @Test func rejectsDamagedArchives() throws {
        let good = Zip.archive(entries)
        var flipped = good
        flipped[40] ^= 1  // a byte of a.json's data: the CRC no longer matches
        #expect(throws: FileError.self) { try Zip.Archive(flipped, name: "t").contents(of: "a.json") }
        for bad in [[], Array(good.prefix(good.count - 1)), Array(good.dropFirst(10)), [UInt8](repeating: 0, count: 100)] {
            #expect(throws: FileError.self) {
                let archive = try Zip.Archive(bad, name: "t")
                for e in archive.entries { _ = try archive.contents(of: e.name) }
            }
        }
    }

    /// A stored archive of `deflated`, patched to say method 8 with `original`'s CRC and size.
    static func deflatedArchive(name: String, deflated: [UInt8], original: [UInt8]) -> [UInt8] {
        var bytes = Zip.archive([(name, deflated)])
        let crc = le32(Zlib.crc32(original))
        let size = le32(UInt32(original.count))
        let directory = 30 + name.utf8.count + deflated.count
        for (at, field) in [
            (8, [UInt8(8), 0]), (14, crc), (22, size),  // local header
            (directory + 10, [8, 0]), (directory + 16, crc), (directory + 24, size),
        ] {  // directory
            bytes.replaceSubrange(at..<(at + field.count), with: field)
        }
        return bytes
    }
}

private func le32(_ value: UInt32) -> [UInt8] {
    var bytes: [UInt8] = []
    ByteOrder.appendLittleEndian(value, to: &bytes)
    return bytes
}
