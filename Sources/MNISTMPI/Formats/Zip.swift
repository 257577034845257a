/// Zip archives as Keras's `.keras` files use them (PKWARE APPNOTE): written with every entry
/// stored, as Keras writes them; read with entries stored or deflated, checked against their
/// CRC-32. No ZIP64, encryption or multi-disk archives: a `.keras` model is a few MB.
public enum Zip {
    /// The archive of `entries` (name, contents) in order, stored, dated 1980-01-01 00:00 (the
    /// zip epoch) so that the same entries always give the same bytes.
    public static func archive(_ entries: [(name: String, bytes: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var directory: [UInt8] = []
        let date: UInt16 = 1 << 5 | 1  // day 1 of month 1 of 1980
        for (name, bytes) in entries {
            let offset = UInt32(out.count)
            let crc = Zlib.crc32(bytes)
            let nameBytes = Array(name.utf8)
            // The fields the local header and the directory entry share, from "version needed" on.
            var common: [UInt8] = []
            for half: UInt16 in [20, 0, 0, 0, date] { ByteOrder.appendLittleEndian(half, to: &common) }
            for word: UInt32 in [crc, UInt32(bytes.count), UInt32(bytes.count)] { ByteOrder.appendLittleEndian(word, to: &common) }
            for half: UInt16 in [UInt16(nameBytes.count), 0] { ByteOrder.appendLittleEndian(half, to: &common) }

            ByteOrder.appendLittleEndian(UInt32(0x0403_4b50), to: &out)
            out += common + nameBytes + bytes

            ByteOrder.appendLittleEndian(UInt32(0x0201_4b50), to: &directory)
            ByteOrder.appendLittleEndian(UInt16(3 << 8 | 20), to: &directory)  // made by: Unix, 2.0
            directory += common
            for half: UInt16 in [0, 0, 0] { ByteOrder.appendLittleEndian(half, to: &directory) }  // comment, disk, internal
            ByteOrder.appendLittleEndian(UInt32(0o100644) << 16, to: &directory)  // a regular file, rw-r--r--
            ByteOrder.appendLittleEndian(offset, to: &directory)
            directory += nameBytes
        }
        let directoryOffset = UInt32(out.count)
        out += directory
        ByteOrder.appendLittleEndian(UInt32(0x0605_4b50), to: &out)
        for half: UInt16 in [0, 0, UInt16(entries.count), UInt16(entries.count)] { ByteOrder.appendLittleEndian(half, to: &out) }
        ByteOrder.appendLittleEndian(UInt32(directory.count), to: &out)
        ByteOrder.appendLittleEndian(directoryOffset, to: &out)
        ByteOrder.appendLittleEndian(UInt16(0), to: &out)
        return out
    }

    /// An archive's central directory, read from its bytes; `contents(of:)` extracts one entry.
    public struct Archive {
        public struct Entry: Equatable {
            public let name: String
            let method: UInt16
            let crc: UInt32
            let compressedSize: Int
            let size: Int
            let localHeaderOffset: Int
        }

        public let name: String
        public let entries: [Entry]
        private let bytes: [UInt8]

        /// Reads the directory of the archive `bytes` (`name` is for messages).
        public init(_ bytes: [UInt8], name: String) throws {
            self.bytes = bytes
            self.name = name
            func fail(_ reason: String) -> FileError { FileError(file: name, reason: reason) }
            // The end record is the last 22 bytes but for a comment of up to 65,535 bytes.
            let endSize = 22
            guard bytes.count >= endSize else { throw fail("not a zip archive (\(bytes.count) bytes)") }
            var end = bytes.count - endSize
            while end >= 0 && !(Self.u32(bytes, end) == 0x0605_4b50 && end + endSize + Int(Self.u16(bytes, end + 20)) == bytes.count) {
                guard end > 0, bytes.count - end < endSize + 0xFFFF else { throw fail("not a zip archive (no end of central directory)") }
                end -= 1
            }
            let count = Int(Self.u16(bytes, end + 10))
            let directorySize = Int(Self.u32(bytes, end + 12))
            let directoryOffset = Int(Self.u32(bytes, end + 16))
            guard Self.u16(bytes, end + 4) == 0, Self.u16(bytes, end + 8) == count else {
                throw fail("multi-disk zip archives are not supported")
            }
            guard directoryOffset != 0xFFFF_FFFF, count != 0xFFFF else { throw fail("ZIP64 archives are not supported") }
            guard directoryOffset <= end, directorySize <= end - directoryOffset else {
                throw fail("central directory lies outside the file")
            }

            var entries: [Entry] = []
            var at = directoryOffset
            for _ in 0..<count {
                guard at + 46 <= directoryOffset + directorySize, Self.u32(bytes, at) == 0x0201_4b50 else {
                    throw fail("central directory entry \(entries.count + 1) is damaged")
                }
                let nameLength = Int(Self.u16(bytes, at + 28))
                let skip = nameLength + Int(Self.u16(bytes, at + 30)) + Int(Self.u16(bytes, at + 32))
                guard at + 46 + skip <= directoryOffset + directorySize else {
                    throw fail("central directory entry \(entries.count + 1) is damaged")
                }
                let entry = Entry(
                    name: String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self),
                    method: Self.u16(bytes, at + 10), crc: Self.u32(bytes, at + 16),
                    compressedSize: Int(Self.u32(bytes, at + 20)), size: Int(Self.u32(bytes, at + 24)),
                    localHeaderOffset: Int(Self.u32(bytes, at + 42)))
                guard Self.u16(bytes, at + 8) & 1 == 0 else { throw fail("\(entry.name) is encrypted") }
                entries.append(entry)
                at += 46 + skip
            }
            self.entries = entries
        }

        /// The contents of the entry called `entryName`, or nil when there is none. Inflates to
        /// at most `limit` bytes and checks the CRC-32.
        public func contents(of entryName: String, limit: Int = 256 << 20) throws -> [UInt8]? {
            guard let entry = entries.first(where: { $0.name == entryName }) else { return nil }
            func fail(_ reason: String) -> FileError { FileError(file: name, reason: "\(entryName): \(reason)") }
            let header = entry.localHeaderOffset
            guard header <= bytes.count - 30, Self.u32(bytes, header) == 0x0403_4b50 else { throw fail("local header is damaged") }
            let start = header + 30 + Int(Self.u16(bytes, header + 26)) + Int(Self.u16(bytes, header + 28))
            guard start <= bytes.count, entry.compressedSize <= bytes.count - start else {
                throw fail("data runs past the end of the file")
            }
            guard entry.size <= limit else { throw fail("\(entry.size) bytes, more than the \(limit)-byte limit") }
            let data = Array(bytes[start..<(start + entry.compressedSize)])
            let contents: [UInt8]
            switch entry.method {
            case 0:
                guard entry.compressedSize == entry.size else { throw fail("stored entry's sizes disagree") }
                contents = data
            case 8:
                contents = try Gzip.inflate(data, name: "\(name): \(entryName)", limit: entry.size, wrapper: .raw)
                guard contents.count == entry.size else {
                    throw fail("inflates to \(contents.count) bytes, the directory says \(entry.size)")
                }
            default:
                throw fail("compression method \(entry.method) is not supported (only stored and deflated)")
            }
            guard Zlib.crc32(contents) == entry.crc else { throw fail("CRC-32 mismatch: the entry is corrupt") }
            return contents
        }

        private static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { ByteOrder.readLittleEndian(bytes, at: at, as: UInt16.self) }
        private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { ByteOrder.readLittleEndian(bytes, at: at, as: UInt32.self) }
    }
}
