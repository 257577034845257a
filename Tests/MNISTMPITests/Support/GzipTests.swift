import TestSupport
import Testing

@testable import MNISTMPI

@Suite struct GzipTests {
    let original: [UInt8] = (0..<100_000).map { UInt8(($0 * 7 + $0 / 13) % 251) }

    @Test func inflatesWhatSystemGzipWrote() throws {
        let gz = try Fixtures.gzip(original)
        #expect(Gzip.isGzip(gz))
        #expect(try Gzip.inflate(gz, name: "f.gz") == original)
    }

    @Test func rejectsTruncatedStream() throws {
        let gz = try Fixtures.gzip(original)
        #expect(throws: GzipError.truncated(file: "f.gz")) {
            try Gzip.inflate(Array(gz.prefix(gz.count / 2)), name: "f.gz")
        }
    }

    @Test func rejectsCorruptStream() throws {
        var gz = try Fixtures.gzip(original)
        // Flip bits in the middle of the deflate data: zlib reports bad data or a CRC mismatch.
        for i in stride(from: gz.count / 3, to: gz.count / 3 + 40, by: 1) { gz[i] ^= 0x5A }
        #expect(throws: GzipError.self) { try Gzip.inflate(gz, name: "f.gz") }
        do {
            _ = try Gzip.inflate(gz, name: "f.gz")
        } catch let error as GzipError {
            guard case .corrupt = error else { Issue.record("expected .corrupt, got \(error)"); return }
        }
    }

    @Test func capsOutputSize() throws {
        let gz = try Fixtures.gzip(Array(repeating: 0, count: 1 << 20))
        #expect(throws: GzipError.tooLarge(file: "z.gz", limit: 4096)) {
            try Gzip.inflate(gz, name: "z.gz", limit: 4096)
        }
    }

    /// Inflated into memory of the size its trailer declares; a trailer that lies either way is
    /// an error, never a short or overrun buffer.
    @Test func inflatesIntoTheSizeItsTrailerDeclares() throws {
        let gz = try Fixtures.gzip(original)
        let size = try Gzip.declaredSize(gz, name: "f.gz")
        #expect(size == original.count)
        let target = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 1, alignment: 1)
        defer { target.deallocate() }
        try Gzip.inflate(gz, name: "f.gz", into: UnsafeMutableRawBufferPointer(rebasing: target[..<size]))
        #expect(Array(target[..<size]) == original)

        for declared in [size - 1, size + 1] {
            var lying = gz
            for k in 0..<4 { lying[gz.count - 4 + k] = UInt8(truncatingIfNeeded: declared >> (8 * k)) }
            #expect(try Gzip.declaredSize(lying, name: "f.gz") == declared)
            #expect(throws: GzipError.self) {
                try Gzip.inflate(lying, name: "f.gz", into: UnsafeMutableRawBufferPointer(rebasing: target[..<declared]))
            }
        }
        var huge = gz
        for k in 0..<4 { huge[gz.count - 4 + k] = 0xff }
        #expect(throws: GzipError.tooLarge(file: "f.gz", limit: 1 << 20)) { try Gzip.declaredSize(huge, name: "f.gz", limit: 1 << 20) }
        #expect(throws: GzipError.self) { try Gzip.declaredSize(huge, name: "f.gz") }
    }
}
