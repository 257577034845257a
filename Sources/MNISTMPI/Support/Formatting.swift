/// Numbers and bytes as text, the same way everywhere they are shown or written.

/// `x` with 4 decimals, as Keras prints metrics.
public func format4(_ x: Double) -> String {
    guard x.isFinite, abs(x) < 1e12 else { return "\(x)" }
    let scaled = (abs(x) * 10_000).rounded()
    let whole = Int(scaled) / 10_000, frac = Int(scaled) % 10_000
    return (x < 0 && scaled > 0 ? "-" : "") + "\(whole).\(String(frac).leftPadded(to: 4))"
}

/// `x` with 1 decimal, without Foundation's locale-dependent formatting.
public func format1(_ v: Double) -> String {
    let tenths = Int((v * 10).rounded())
    let sign = tenths < 0 ? "-" : ""
    return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
}

/// `x` with 3 decimals (seconds with milliseconds).
public func format3(_ x: Double) -> String {
    let ms = Int((x * 1000).rounded())
    return "\(ms / 1000).\(String(ms % 1000).leftPadded(to: 3))"
}

/// `x` with `decimals` decimals (rounded half away from zero, no sign on a rounded zero);
/// Swift's own text where that many units would not fit an Int (non-finite or huge `x`).
public func format(_ x: Double, decimals: Int) -> String {
    let scale = (0..<decimals).reduce(1.0) { r, _ in r * 10 }
    guard x.isFinite, abs(x) * scale < 9e18 else { return "\(x)" }
    let units = Int((abs(x) * scale).rounded())
    let whole = "\(units / Int(scale))"
    let sign = x < 0 && units > 0 ? "-" : ""
    return decimals == 0 ? sign + whole : sign + whole + "." + String(units % Int(scale)).leftPadded(to: decimals)
}

/// Lower-case hex of `bytes`, two digits each, joined by `separator`.
public func hex(_ bytes: some Sequence<UInt8>, separator: String = "") -> String {
    bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined(separator: separator)
}

/// Ceiling of `a / b` for `a >= 0` and positive `b` (without overflow for any such pair).
public func divideRoundingUp(_ a: Int, _ b: Int) -> Int { a / b + (a % b == 0 ? 0 : 1) }

extension String {
    /// The string padded on the left with `pad` to at least `width` characters.
    public func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}

extension StringProtocol {
    /// Without the white space at either end.
    public var trimmed: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}

extension String {
    /// The text of a C buffer up to its first NUL (all of it if there is none), as UTF-8.
    public init(nulTerminated chars: [CChar]) {
        self.init(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The double with the same shortest decimal form as `value` (0.001 for Float(0.001), not
/// 0.0010000000474974513), as Keras writes a float32 setting that came from a Python float.
public func shortestDecimal(_ value: Float) -> Double { Double("\(value)")! }
