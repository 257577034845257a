/// Netpbm graymap: reads P5 (binary, 8 or 16 bits) and P2 (ASCII); writes P5.
public enum PGM {
    public static func encode(_ image: GrayImage) -> [UInt8] {
        Array("P5\n\(image.width) \(image.height)\n255\n".utf8) + image.pixels
    }

    public static func decode(_ bytes: [UInt8], name: String) throws -> GrayImage {
        func fail(_ reason: String) -> FileError { FileError(file: name, reason: "bad PGM: \(reason)") }
        var at = 2
        /// The next whitespace-separated header token, skipping `#` comments.
        func token() throws -> Int {
            while at < bytes.count {
                if bytes[at] == UInt8(ascii: "#") {
                    while at < bytes.count && bytes[at] != 0x0A { at += 1 }
                } else if [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) {
                    at += 1
                } else {
                    break
                }
            }
            var value = 0, digits = 0
            while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) {
                value = value * 10 + Int(bytes[at] - UInt8(ascii: "0"))
                digits += 1
                at += 1
                guard value <= 1 << 20 else { throw fail("header number too large") }
            }
            guard digits > 0 else { throw fail("malformed header") }
            return value
        }
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "P"), bytes[1] == UInt8(ascii: "5") || bytes[1] == UInt8(ascii: "2") else {
            throw fail("no P5 or P2 signature")
        }
        let binary = bytes[1] == UInt8(ascii: "5")
        let width = try token(), height = try token(), maxValue = try token()
        guard width > 0, height > 0, width <= 1 << 14, height <= 1 << 14 else { throw fail("size \(width)x\(height) out of range") }
        guard (1...65535).contains(maxValue) else { throw fail("maxval \(maxValue) out of range") }
        // Every pixel takes at least a byte: check before allocating for them.
        guard width * height <= bytes.count - at else { throw fail("truncated pixel data") }
        var samples = [Int]()
        samples.reserveCapacity(width * height)
        if binary {
            at += 1  // the single whitespace after maxval
            let size = maxValue > 255 ? 2 : 1
            guard bytes.count - at >= width * height * size else { throw fail("truncated pixel data") }
            for i in 0..<(width * height) {
                samples.append(size == 1 ? Int(bytes[at + i]) : Int(bytes[at + 2 * i]) << 8 | Int(bytes[at + 2 * i + 1]))
            }
        } else {
            for _ in 0..<(width * height) {
                guard at < bytes.count else { throw fail("truncated pixel data") }
                samples.append(try token())
            }
        }
        return GrayImage(
            width: width, height: height,
            pixels: samples.map { UInt8((Double(min($0, maxValue)) * 255 / Double(maxValue)).rounded()) })
    }
}
