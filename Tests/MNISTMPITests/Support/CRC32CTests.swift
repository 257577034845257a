import Testing

@testable import MNISTMPI

@Suite struct CRC32CTests {
    /// The check value of CRC-32C (RFC 3720, B.4) and an iSCSI test vector: 32 zero bytes.
    @Test func knownValues() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    /// TensorFlow's mask: rotate right by 15, add 0xa282ead8.
    @Test func masked() {
        let crc: UInt32 = 0xE306_9283
        #expect(CRC32C.masked(Array("123456789".utf8)) == ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8)
    }
}
