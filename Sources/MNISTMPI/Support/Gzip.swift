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
        var stream = z_stream()
        let windowBits = wrapper.windowBits
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw GzipError.corrupt(file: name, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }

        // The trailer's ISIZE (uncompressed size mod 2^32) is a good first guess, as far as
        // the input could really inflate: deflate expands at most 1032 to 1.
        var capacity = 1 << 16
        if input.count >= 4 && wrapper == .gzip {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            capacity = max(capacity, min(isize, limit, 1032 * n))
        }
        var output = [UInt8](repeating: 0, count: capacity)
        var produced = 0
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { inBuf in
            // zlib only reads through next_in; the pointer is not mutable only for C's sake.
            stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
            stream.avail_in = UInt32(inBuf.count)
            while true {
                status = output.withUnsafeMutableBufferPointer { outBuf in
                    stream.next_out = outBuf.baseAddress! + produced
                    stream.avail_out = UInt32(outBuf.count - produced)
                    let s = CZlib.inflate(&stream, Z_NO_FLUSH)
                    produced = outBuf.count - Int(stream.avail_out)
                    return s
                }
                LocalProgress.tick()
                switch status {
                case Z_STREAM_END:
                    return
                case Z_OK, Z_BUF_ERROR:
                    if produced == output.count {
                        // Output full: grow (doubling, up to the limit) and go on.
                        guard output.count < limit else { throw GzipError.tooLarge(file: name, limit: limit) }
                        output.append(contentsOf: repeatElement(0, count: min(output.count, limit - output.count)))
                    } else if stream.avail_in == 0 {
                        // Room to write but nothing left to read, and no end of stream.
                        throw GzipError.truncated(file: name)
                    }
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw GzipError.corrupt(file: name, reason: reason)
                }
            }
        }
        if stream.avail_in != 0 {
            throw GzipError.corrupt(file: name, reason: "\(stream.avail_in) bytes after the end of the stream")
        }
        output.removeLast(output.count - produced)
        return output
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
