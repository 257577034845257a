import CZlib

/// Why a gzip stream could not be inflated.
public enum GzipError: Error, Equatable, CustomStringConvertible {
    case corrupt(file: String, reason: String)
    case truncated(file: String)
    case tooLarge(file: String, limit: Int)

    public var description: String {
        switch self {
        case let .corrupt(file, reason): return "\(file): corrupt gzip data (\(reason))"
        case let .truncated(file): return "\(file): gzip stream is truncated"
        case let .tooLarge(file, limit): return "\(file): inflates to more than \(limit) bytes"
        }
    }
}

public enum Gzip {
    /// True when `bytes` start with the gzip magic `1f 8b`.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
    }

    /// What surrounds the deflate data.
    public enum Wrapper: Sendable {
        /// A gzip header and a CRC and length trailer (`.gz` files).
        case gzip
        /// A zlib header and an Adler-32 trailer (PNG).
        case zlib
        /// Nothing (zip entries, whose CRC is in the archive's directory).
        case raw

        var windowBits: Int32 {
            switch self {
            case .gzip: return 16 + MAX_WBITS
            case .zlib: return MAX_WBITS
            case .raw: return -MAX_WBITS
            }
        }
    }

    /// Inflates a whole deflate stream in `wrapper` (its checksum, if any, checked by zlib).
    /// Output grows only as data really inflates, capped at `limit` bytes, so a hostile stream
    /// cannot make us allocate more than that.
    public static func inflate(_ input: [UInt8], name: String, limit: Int = 256 << 20, wrapper: Wrapper = .gzip) throws -> [UInt8] {
        var output: [UInt8] = []
        // The trailer's length is a good first guess, as far as the input could really inflate.
        output.reserveCapacity(min(wrapper == .gzip ? declaredSize(input) ?? 0 : 0, limit, 1032 * input.count))
        try inflate(input, name: name, wrapper: wrapper) { piece in
            guard piece.count <= limit - output.count else { throw GzipError.tooLarge(file: name, limit: limit) }
            output.append(contentsOf: piece)
        }
        return output
    }

    /// Inflates a gzip stream into `target`, which holds exactly the length its trailer declares
    /// (`declaredSize`): zlib checks that length, and the stream may not write past it.
    public static func inflate(_ input: [UInt8], name: String, into target: UnsafeMutableRawBufferPointer) throws {
        var produced = 0
        try inflate(input, name: name, wrapper: .gzip) { piece in
            guard piece.count <= target.count - produced else {
                throw GzipError.corrupt(file: name, reason: "inflates to more than the \(target.count) bytes its trailer declares")
            }
            UnsafeMutableRawBufferPointer(rebasing: target[produced..<(produced + piece.count)]).copyMemory(from: piece)
            produced += piece.count
        }
    }

    /// The uncompressed length a gzip stream's trailer declares (ISIZE: the length modulo
    /// 2^32, so exact below 4 GiB), which only inflating it proves; nil if it has no trailer.
    public static func declaredSize(_ input: [UInt8]) -> Int? {
        guard isGzip(input), input.count >= 18 else { return nil }
        let n = input.count
        return Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
    }

    /// `declaredSize`, where it is one this stream could inflate to within `limit`.
    public static func declaredSize(_ input: [UInt8], name: String, limit: Int = 256 << 20) throws -> Int {
        guard let size = declaredSize(input) else { throw GzipError.truncated(file: name) }
        guard size <= limit else { throw GzipError.tooLarge(file: name, limit: limit) }
        // Deflate expands at most 1032 to 1.
        guard size <= 1032 * input.count else {
            throw GzipError.corrupt(file: name, reason: "its trailer declares \(size) bytes, more than its data can hold")
        }
        return size
    }

    /// Inflates `input` a piece at a time through a small buffer, handing each piece to `take`.
    private static func inflate(
        _ input: [UInt8], name: String, wrapper: Wrapper, take: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, wrapper.windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError.corrupt(file: name, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 64)
        defer { piece.deallocate() }
        try input.withUnsafeBufferPointer { inBuf in
            // zlib only reads through next_in; the pointer is not mutable only for C's sake.
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                stream.next_out = piece.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(piece.count)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                try take(UnsafeRawBufferPointer(rebasing: piece[..<(piece.count - Int(stream.avail_out))]))
                LocalProgress.tick()
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    // Room left to write but nothing left to read, and no end of stream.
                    if stream.avail_out > 0 && stream.avail_in == 0 { throw GzipError.truncated(file: name) }
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw GzipError.corrupt(file: name, reason: reason)
                }
            }
        }
        if stream.avail_in != 0 {
            throw GzipError.corrupt(file: name, reason: "\(stream.avail_in) bytes after the end of the stream")
        }
    }
}

/// zlib-wrapped deflate and CRC-32, as PNG and zip want them.
public enum Zlib {
    public static func compress(_ input: [UInt8]) -> [UInt8] {
        var size = compressBound(uLong(input.count))
        var output = [UInt8](repeating: 0, count: Int(size))
        let status = CZlib.compress2(&output, &size, input, uLong(input.count), 9)
        precondition(status == Z_OK, "zlib compress2 failed (\(status))")
        output.removeLast(output.count - Int(size))
        return output
    }

    public static func crc32<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        let array = Array(bytes)
        return UInt32(CZlib.crc32(0, array, uInt(array.count)))
    }
}
