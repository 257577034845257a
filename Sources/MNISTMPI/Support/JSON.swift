/// A small JSON value that prints with its keys in the order given, so the files we write
/// (safetensors headers, history, traces) are byte-for-byte reproducible.
///
/// Why ours and not FoundationEssentials' `JSONDecoder`: a repeated key. `JSONDecoder` keeps
/// the first value silently and Python's `json` (which reads our files in the tests, and
/// safetensors' Python API) the last, so a crafted safetensors header naming one tensor twice
/// would be one model to us and another to them; this parser refuses it (`JSONTests` shows
/// both behaviours). It also keeps members in file order, tells integers from doubles (tensor
/// offsets beyond 2^53 stay exact) and needs no Decodable type per format.
public indirect enum JSON: Equatable, Sendable {
    case number(Double)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case array([JSON])
    case object([(String, JSON)])
    case null

    public static func == (a: JSON, b: JSON) -> Bool { a.text == b.text }

    /// Compact JSON text.
    public var text: String {
        switch self {
        case let .number(x): return x.isFinite ? "\(x)" : "null"
        case let .integer(i): return "\(i)"
        case let .string(s): return JSON.quote(s)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        case let .array(items): return "[" + items.map(\.text).joined(separator: ",") + "]"
        case let .object(members):
            return "{" + members.map { JSON.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension JSON {
    /// Why text is not JSON, and where.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let offset: Int
        public let reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Parses JSON text (RFC 8259). Objects keep their members in file order and may not repeat
    /// a key; a number without fraction or exponent that fits an `Int` is `.integer`. Nesting
    /// deeper than `maxDepth` is an error rather than a deep recursion on crafted input.
    public static func parse<Bytes: Collection<UInt8>>(_ text: Bytes, maxDepth: Int = 256) throws -> JSON {
        var parser = Parser(bytes: Array(text), maxDepth: maxDepth)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == parser.bytes.count else { throw parser.error("text after the JSON value") }
        return value
    }

    /// The member `key` of an object (nil for anything else, or no such member).
    public subscript(key: String) -> JSON? {
        guard case let .object(members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    public var bool: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    public var array: [JSON]? { if case let .array(a) = self { return a } else { return nil } }
    public var members: [(String, JSON)]? { if case let .object(m) = self { return m } else { return nil } }

    /// A whole number: an integer, or a number with no fraction within ±2⁶².
    public var int: Int? {
        switch self {
        case let .integer(i): return i
        case let .number(x) where x == x.rounded() && abs(x) < 0x1p62: return Int(x)
        default: return nil
        }
    }

    /// Any number.
    public var double: Double? {
        switch self {
        case let .integer(i): return Double(i)
        case let .number(x): return x
        default: return nil
        }
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var at = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func error(_ reason: String) -> ParseError { ParseError(offset: at, reason: reason) }

        mutating func skipSpace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        mutating func expect(_ literal: String) throws {
            for byte in literal.utf8 {
                guard at < bytes.count, bytes[at] == byte else { throw error("expected \(literal)") }
                at += 1
            }
        }

        mutating func value(depth: Int) throws -> JSON {
            guard depth < maxDepth else { throw error("nested deeper than \(maxDepth)") }
            skipSpace()
            guard at < bytes.count else { throw error("unexpected end") }
            switch bytes[at] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default: return try number()
            }
        }

        mutating func object(depth: Int) throws -> JSON {
            at += 1
            var members: [(String, JSON)] = []
            var keys = Set<String>()
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
            while true {
                skipSpace()
                guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw error("expected a member name") }
                let key = try string()
                guard keys.insert(key).inserted else { throw error("repeated member \(JSON.quote(key))") }
                skipSpace()
                try expect(":")
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                guard at < bytes.count else { throw error("unexpected end") }
                at += 1
                if bytes[at - 1] == UInt8(ascii: "}") { return .object(members) }
                guard bytes[at - 1] == UInt8(ascii: ",") else { at -= 1; throw error("expected , or }") }
            }
        }

        mutating func array(depth: Int) throws -> JSON {
            at += 1
            var items: [JSON] = []
            skipSpace()
            if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(items) }
            while true {
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard at < bytes.count else { throw error("unexpected end") }
                at += 1
                if bytes[at - 1] == UInt8(ascii: "]") { return .array(items) }
                guard bytes[at - 1] == UInt8(ascii: ",") else { at -= 1; throw error("expected , or ]") }
            }
        }

        mutating func string() throws -> String {
            at += 1
            var text = ""
            var run = at  // where the bytes taken as they are start
            func takeRun() throws {
                guard let piece = String(validating: bytes[run..<at], as: UTF8.self) else { throw error("invalid UTF-8") }
                text += piece
            }
            while true {
                guard at < bytes.count else { throw error("unterminated string") }
                let byte = bytes[at]
                if byte == UInt8(ascii: "\"") {
                    try takeRun()
                    at += 1
                    return text
                }
                guard byte >= 0x20 else { throw error("control character in a string") }
                guard byte == UInt8(ascii: "\\") else { at += 1; continue }
                try takeRun()
                at += 1
                guard at < bytes.count else { throw error("unterminated string") }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""): text += "\""
                case UInt8(ascii: "\\"): text += "\\"
                case UInt8(ascii: "/"): text += "/"
                case UInt8(ascii: "b"): text += "\u{08}"
                case UInt8(ascii: "f"): text += "\u{0C}"
                case UInt8(ascii: "n"): text += "\n"
                case UInt8(ascii: "r"): text += "\r"
                case UInt8(ascii: "t"): text += "\t"
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800..<0xDC00).contains(code) {  // a surrogate pair: \uD8xx\uDCxx
                        try expect("\\u")
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate") }
                    text.unicodeScalars.append(scalar)
                default: throw error("unknown escape")
                }
                run = at
            }
        }

        mutating func hex4() throws -> UInt32 {
            guard at + 4 <= bytes.count else { throw error("bad \\u escape") }
            var code: UInt32 = 0
            for byte in bytes[at..<at + 4] {
                guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw error("bad \\u escape") }
                code = code << 4 | UInt32(digit)
            }
            at += 4
            return code
        }

        mutating func number() throws -> JSON {
            let start = at
            func digits() -> Int {
                let from = at
                while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
                return at - from
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            let leading = at
            guard digits() > 0 else { throw error("unexpected character") }
            guard bytes[leading] != UInt8(ascii: "0") || at == leading + 1 else { throw error("leading zero") }
            var whole = true
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                whole = false
                guard digits() > 0 else { throw error("no digits after the decimal point") }
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                at += 1
                whole = false
                if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
                guard digits() > 0 else { throw error("no digits in the exponent") }
            }
            let literal = String(decoding: bytes[start..<at], as: UTF8.self)
            if whole, let i = Int(literal) { return .integer(i) }
            guard let x = Double(literal) else { throw error("unreadable number") }
            return .number(x)
        }
    }
}
