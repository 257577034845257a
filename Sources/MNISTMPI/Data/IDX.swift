/// Parsing and validation of IDX files, the format MNIST ships in.
///
/// An IDX file is a 4-byte magic `00 00 08 NDIMS` (08 = unsigned byte), one big-endian
/// `UInt32` per dimension, then the data. Every header field is checked against the bytes
/// actually present before anything is allocated from it.
public struct IDXArray: Equatable, Sendable {
    /// Dimensions from the header, outermost first (e.g. `[60000, 28, 28]`).
    public let shape: [Int]
    /// The payload, row-major.
    public let bytes: [UInt8]
}

/// Why an IDX file was rejected. Each case names one problem.
public enum IDXError: Error, Equatable, CustomStringConvertible {
    case tooShort(file: String, bytes: Int)
    case badMagic(file: String, found: [UInt8], expected: [UInt8])
    case zeroDimension(file: String, index: Int)
    case absurdDimension(file: String, index: Int, value: Int, limit: Int)
    case sizeMismatch(file: String, headerBytes: Int, actualBytes: Int)
    case unexpectedShape(file: String, found: [Int], expected: String)
    case countMismatch(images: Int, labels: Int, split: String)
    case labelOutOfRange(file: String, index: Int, value: UInt8, classes: Int)

    public var description: String {
        switch self {
        case let .tooShort(file, bytes):
            return "\(file): only \(bytes) bytes, too short for an IDX header"
        case let .badMagic(file, found, expected):
            return "\(file): not an IDX file of this kind: magic \(hex(found, separator: " ")), expected \(hex(expected, separator: " "))"
        case let .zeroDimension(file, index):
            return "\(file): IDX header has dimension \(index) equal to 0"
        case let .absurdDimension(file, index, value, limit):
            return "\(file): IDX header has dimension \(index) = \(value), more than the limit \(limit)"
        case let .sizeMismatch(file, headerBytes, actualBytes):
            let what = actualBytes < headerBytes ? "truncated" : "has trailing bytes"
            return "\(file): \(what): header promises \(headerBytes) data bytes, file has \(actualBytes)"
        case let .unexpectedShape(file, found, expected):
            return "\(file): shape \(found) is not \(expected)"
        case let .countMismatch(images, labels, split):
            return "\(split) set: \(images) images but \(labels) labels"
        case let .labelOutOfRange(file, index, value, classes):
            return "\(file): label \(value) at index \(index) is outside 0...\(classes - 1)"
        }
    }
}

public enum IDX {
    /// Largest dimension accepted: far above MNIST's 60,000 but small enough that a corrupt
    /// header cannot make us reason about absurd sizes.
    public static let dimensionLimit = 10_000_000

    /// Parses an IDX file of unsigned bytes with `dimensions` dimensions.
    /// - Parameter name: the file name used in error messages.
    /// The payload reuses `file`'s storage (the header is shifted out in place), so parsing a
    /// 47 MB file does not need a second 47 MB.
    public static func parse(_ file: consuming [UInt8], dimensions: Int, name: String) throws -> IDXArray {
        let shape = try validatedShape(file, dimensions: dimensions, name: name)
        file.removeFirst(headerSize(dimensions))
        return IDXArray(shape: shape, bytes: file)
    }

    public static func headerSize(_ dimensions: Int) -> Int { 4 + 4 * dimensions }

    /// Checks the header against the bytes present and returns the shape it declares.
    public static func validatedShape(_ file: some RandomAccessCollection<UInt8>, dimensions: Int, name: String) throws -> [Int] {
        let headerSize = headerSize(dimensions)
        guard file.count >= headerSize else { throw IDXError.tooShort(file: name, bytes: file.count) }
        let expectedMagic: [UInt8] = [0, 0, 0x08, UInt8(dimensions)]
        let magic = Array(file.prefix(4))
        guard magic == expectedMagic else {
            throw IDXError.badMagic(file: name, found: magic, expected: expectedMagic)
        }
        var shape: [Int] = []
        var payload = 1
        for d in 0..<dimensions {
            let o = 4 + 4 * d
            let value = Int(ByteOrder.readBigEndian(file, at: o))
            guard value > 0 else { throw IDXError.zeroDimension(file: name, index: d) }
            guard value <= dimensionLimit else {
                throw IDXError.absurdDimension(file: name, index: d, value: value, limit: dimensionLimit)
            }
            shape.append(value)
            let (product, overflow) = payload.multipliedReportingOverflow(by: value)
            guard !overflow else {
                throw IDXError.sizeMismatch(file: name, headerBytes: Int.max, actualBytes: file.count - headerSize)
            }
            payload = product
        }
        let actual = file.count - headerSize
        guard actual == payload else {
            throw IDXError.sizeMismatch(file: name, headerBytes: payload, actualBytes: actual)
        }
        return shape
    }
}
