/// PNG reading (8- and 16-bit gray, gray+alpha, RGB, RGBA and 8-bit palette, not interlaced;
/// converted to gray) and writing (8-bit gray). Chunk CRCs are checked.
public enum PNG {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func encode(_ image: GrayImage) -> [UInt8] {
        var header = [UInt8]()
        header += ByteOrder.bigEndian(UInt32(image.width)) + ByteOrder.bigEndian(UInt32(image.height))
        header += [8, 0, 0, 0, 0]  // bit depth 8, colour type 0 (gray), deflate, filter 0, no interlace
        var scanlines = [UInt8]()
        scanlines.reserveCapacity((image.width + 1) * image.height)
        for y in 0..<image.height {
            scanlines.append(0)  // filter type None
            scanlines += image.pixels[(y * image.width)..<((y + 1) * image.width)]
        }
        return signature + chunk("IHDR", header) + chunk("IDAT", Zlib.compress(scanlines)) + chunk("IEND", [])
    }

    public static func decode(_ bytes: [UInt8], name: String) throws -> GrayImage {
        func fail(_ reason: String) -> FileError { FileError(file: name, reason: "bad PNG: \(reason)") }
        guard bytes.starts(with: signature) else { throw fail("no PNG signature") }
        var at = signature.count
        var header: [UInt8] = [], palette: [UInt8] = [], compressed: [UInt8] = []
        chunks: while true {
            guard at + 12 <= bytes.count else { throw fail("truncated before IEND") }
            let length = Int(ByteOrder.readBigEndian(bytes, at: at))
            guard length <= bytes.count - at - 12 else { throw fail("truncated chunk") }
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            let data = Array(bytes[(at + 8)..<(at + 8 + length)])
            guard Zlib.crc32(bytes[(at + 4)..<(at + 8 + length)]) == ByteOrder.readBigEndian(bytes, at: at + 8 + length) else {
                throw fail("CRC mismatch in chunk \(type)")
            }
            at += 12 + length
            switch type {
            case "IHDR": header = data
            case "PLTE": palette = data
            case "IDAT": compressed += data
            case "IEND": break chunks
            default: continue  // ancillary chunks (gAMA, tEXt, ...) do not change the pixels
            }
        }
        guard header.count == 13 else { throw fail("missing IHDR") }
        let width = Int(ByteOrder.readBigEndian(header, at: 0)), height = Int(ByteOrder.readBigEndian(header, at: 4))
        let depth = Int(header[8]), colour = header[9]
        guard width > 0, height > 0, width <= 1 << 14, height <= 1 << 14 else { throw fail("size \(width)x\(height) out of range") }
        guard header[12] == 0 else { throw fail("interlaced images are not supported") }
        let channels: Int
        switch (colour, depth) {
        case (0, 8), (0, 16): channels = 1
        case (2, 8), (2, 16): channels = 3
        case (3, 8): channels = 1
        case (4, 8), (4, 16): channels = 2
        case (6, 8), (6, 16): channels = 4
        default: throw fail("colour type \(colour) at bit depth \(depth) is not supported")
        }
        guard colour != 3 || palette.count >= 3 else { throw fail("palette image without PLTE") }
        let pixelBytes = channels * depth / 8, stride = width * pixelBytes
        let raw = try Gzip.inflate(compressed, name: name, limit: (stride + 1) * height, wrapper: .zlib)
        guard raw.count == (stride + 1) * height else { throw fail("image data is \(raw.count) bytes, expected \((stride + 1) * height)") }
        let rows = try unfilter(raw, stride: stride, height: height, pixelBytes: pixelBytes, fail: fail)

        var gray = [UInt8](repeating: 0, count: width * height)
        for i in 0..<(width * height) {
            // Channel c of pixel i, as 0...255 (16-bit samples keep their high byte).
            func sample(_ c: Int) -> Double { Double(rows[i * pixelBytes + c * depth / 8]) }
            var value: Double, alpha = 255.0
            switch colour {
            case 0: value = sample(0)
            case 3:
                let p = Int(rows[i]) * 3
                guard p + 2 < palette.count else { throw fail("palette index out of range") }
                value = 0.299 * Double(palette[p]) + 0.587 * Double(palette[p + 1]) + 0.114 * Double(palette[p + 2])
            case 4: value = sample(0); alpha = sample(1)
            default:
                value = 0.299 * sample(0) + 0.587 * sample(1) + 0.114 * sample(2)
                if colour == 6 { alpha = sample(3) }
            }
            // Transparent pixels show the page behind them: white.
            gray[i] = UInt8((value * alpha / 255 + 255 * (1 - alpha / 255)).rounded())
        }
        return GrayImage(width: width, height: height, pixels: gray)
    }

    /// Undoes PNG's per-row filters (None, Sub, Up, Average, Paeth).
    private static func unfilter(
        _ raw: [UInt8], stride: Int, height: Int, pixelBytes bpp: Int,
        fail: (String) -> FileError
    ) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)]
            let src = y * (stride + 1) + 1, row = y * stride, up = row - stride
            for x in 0..<stride {
                let a = x >= bpp ? Int(out[row + x - bpp]) : 0
                let b = y > 0 ? Int(out[up + x]) : 0
                let c = x >= bpp && y > 0 ? Int(out[up + x - bpp]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw fail("unknown filter type \(filter) in row \(y)")
                }
                out[row + x] = UInt8(truncatingIfNeeded: Int(raw[src + x]) + predictor)
            }
        }
        return out
    }

    private static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return ByteOrder.bigEndian(UInt32(data.count)) + typed + ByteOrder.bigEndian(Zlib.crc32(typed))
    }
}
