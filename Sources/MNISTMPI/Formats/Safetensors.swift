/// Reading and writing the safetensors format (https://huggingface.co/docs/safetensors):
/// an 8-byte little-endian header length, a JSON header mapping each tensor name to
/// `dtype`, `shape` and `data_offsets` (plus an optional `__metadata__` of strings), then the
/// raw little-endian tensor bytes, packed from offset 0 without gaps. We write only F32.
public enum Safetensors {
    public struct Tensor: Equatable, Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]

        public init(name: String, shape: [Int], values: [Float]) {
            precondition(shape.reduce(1, *) == values.count)
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    public struct File: Equatable, Sendable {
        public var tensors: [Tensor]
        public var metadata: [String: String]

        public init(tensors: [Tensor], metadata: [String: String]) {
            self.tensors = tensors
            self.metadata = metadata
        }

        public func tensor(_ name: String) -> Tensor? { tensors.first { $0.name == name } }
    }

    /// The file's bytes. Metadata keys are sorted; the header is padded with spaces to a
    /// multiple of 8 bytes so that tensor data is aligned.
    public static func encode(_ file: File) -> [UInt8] {
        var members: [(String, JSON)] = []
        if !file.metadata.isEmpty {
            members.append(("__metadata__", .object(file.metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for t in file.tensors {
            let end = offset + 4 * t.values.count
            members.append(
                (
                    t.name,
                    .object([
                        ("dtype", .string("F32")),
                        ("shape", .array(t.shape.map { .integer($0) })),
                        ("data_offsets", .array([.integer(offset), .integer(end)])),
                    ])
                ))
            offset = end
        }
        var header = Array(JSON.object(members).text.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        ByteOrder.appendLittleEndian(UInt64(header.count), to: &bytes)
        bytes.append(contentsOf: header)
        for t in file.tensors {
            for v in t.values { ByteOrder.appendLittleEndian(v, to: &bytes) }
        }
        return bytes
    }

    /// The `__metadata__` of a file, reading only its header.
    public static func metadata(ofFile path: String) throws -> [String: String] {
        let prefix = try FileIO.readPrefix(path, count: 8)
        guard prefix.count == 8 else {
            throw FileError(file: path, reason: "not a valid safetensors file: \(prefix.count) bytes, too short")
        }
        let length = prefix.withUnsafeBytes { ByteOrder.readLittleEndian($0, at: 0, as: UInt64.self) }
        guard length <= maxHeader else {
            throw FileError(file: path, reason: "not a valid safetensors file: header length \(length) is too large")
        }
        let header = try FileIO.readPrefix(path, count: 8 + Int(length))
        guard header.count == 8 + Int(length), let object = try? JSON.parse(header[8...]), object.members != nil else {
            throw FileError(file: path, reason: "not a valid safetensors file: header is not a JSON object")
        }
        return strings(object["__metadata__"]) ?? [:]
    }

    /// Headers larger than this are refused.
    static let maxHeader: UInt64 = 100_000_000

    /// Parses and checks a whole file: header bounds, JSON, F32 dtype, offsets matching the
    /// shapes, tensors packed without gaps or overlap and covering the data exactly.
    public static func decode(_ bytes: [UInt8], name: String) throws -> File {
        func fail(_ reason: String) -> FileError { FileError(file: name, reason: "not a valid safetensors file: " + reason) }
        guard bytes.count >= 8 else { throw fail("\(bytes.count) bytes, too short") }
        let headerLength = ByteOrder.readLittleEndian(bytes, at: 0, as: UInt64.self)
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8), headerLength <= maxHeader else {
            throw fail("header length \(headerLength) does not fit a file of \(bytes.count) bytes")
        }
        let headerEnd = 8 + Int(headerLength)
        guard let header = try? JSON.parse(bytes[8..<headerEnd]).members else {
            throw fail("header is not a JSON object")
        }
        guard let metadata = strings(header.first { $0.0 == "__metadata__" }?.1) else {
            throw fail("__metadata__ is not a map of strings")
        }
        let dataBytes = bytes.count - headerEnd
        var entries: [(name: String, shape: [Int], start: Int, end: Int)] = []
        for (key, value) in header where key != "__metadata__" {
            guard let dtype = value["dtype"]?.string,
                let shape = integers(value["shape"]), let offsets = integers(value["data_offsets"]), offsets.count == 2
            else {
                throw fail("tensor \(key) lacks dtype, shape or data_offsets")
            }
            guard dtype == "F32" else { throw fail("tensor \(key) has dtype \(dtype); only F32 is supported") }
            // Sizes come from the file: checked against the bytes really there before any use.
            guard let size = byteCount(shape), size <= dataBytes else {
                throw fail("tensor \(key) has shape \(shape), more than the file's \(dataBytes) data bytes")
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataBytes, offsets[1] - offsets[0] == size else {
                throw fail("tensor \(key): offsets \(offsets) do not hold shape \(shape) of F32")
            }
            entries.append((key, shape, offsets[0], offsets[1]))
        }
        entries.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        var position = 0
        for e in entries {
            guard e.start == position else { throw fail("tensor \(e.name) starts at \(e.start), expected \(position)") }
            position = e.end
        }
        guard position == bytes.count - headerEnd else {
            throw fail("tensors cover \(position) bytes but the file has \(bytes.count - headerEnd) after the header")
        }
        let tensors = bytes.withUnsafeBytes { raw in
            entries.map { e in
                Tensor(
                    name: e.name, shape: e.shape,
                    values: (0..<((e.end - e.start) / 4)).map { i in
                        Float(bitPattern: ByteOrder.readLittleEndian(raw, at: headerEnd + e.start + 4 * i, as: UInt32.self))
                    })
            }
        }
        return File(tensors: tensors, metadata: metadata)
    }

    /// A JSON list of whole numbers, or nil if it is anything else.
    private static func integers(_ value: JSON?) -> [Int]? {
        guard let list = value?.array else { return nil }
        let numbers = list.compactMap(\.int)
        return numbers.count == list.count ? numbers : nil
    }

    /// The members of a JSON object of strings (none without an object), or nil if it is anything else.
    private static func strings(_ value: JSON?) -> [String: String]? {
        guard let value else { return [:] }
        guard let members = value.members else { return nil }
        var result: [String: String] = [:]
        for (key, member) in members {
            guard let text = member.string else { return nil }
            result[key] = text
        }
        return result
    }

    /// Bytes of F32 data for `shape`, or nil if a dimension is negative or the size overflows.
    private static func byteCount(_ shape: [Int]) -> Int? {
        var size = 4
        for d in shape {
            guard d >= 0 else { return nil }
            let (product, overflow) = size.multipliedReportingOverflow(by: d)
            if overflow { return nil }
            size = product
        }
        return size
    }
}
