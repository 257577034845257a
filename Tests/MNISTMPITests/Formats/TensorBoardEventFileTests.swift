import Foundation
import TestSupport
import Testing

@testable import MNISTMPI

@Suite struct TensorBoardEventFileTests {
    /// TFRecord framing: length, masked CRC of the length, data, masked CRC of the data.
    @Test func framesRecords() {
        let record = TensorBoardEventFile.record([1, 2, 3])
        #expect(record.count == 8 + 4 + 3 + 4)
        #expect(Array(record[0..<8]) == [3, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(record[12..<15]) == [1, 2, 3])
        var crc: [UInt8] = []
        ByteOrder.appendLittleEndian(CRC32C.masked([1, 2, 3]), to: &crc)
        #expect(Array(record[15...]) == crc)
    }

    /// Files are named as TensorFlow names them, and a later file sorts after an earlier one
    /// even within the same second; nothing is on disk but the version record before a flush.
    @Test func namesFilesInOrderAndWritesOnFlush() throws {
        let dir = Fixtures.temporaryDirectory() + "/run"
        let first = try TensorBoardEventFile(directory: dir)
        let versionOnly = try FileIO.read(first.path).count
        first.scalar("loss", 0.5, step: 1)
        #expect(try FileIO.read(first.path).count == versionOnly)
        try first.flush()
        #expect(try FileIO.read(first.path).count > versionOnly)
        let second = try TensorBoardEventFile(directory: dir)
        let names = [first.path, second.path].map { String($0.split(separator: "/").last!) }
        #expect(names[0].hasPrefix("events.out.tfevents.") && names[0].hasSuffix(".0.v2"))
        #expect(names[0] < names[1])
    }
}
