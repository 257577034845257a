import FoundationEssentials
import Testing

@testable import MNISTMPI

@Suite struct JSONTests {
    /// A repeated key: Foundation's JSONDecoder takes the first value without a word (Python's
    /// json takes the last); ours refuses the text, so no file means two things.
    @Test func repeatedKeysAreRefusedWhereJSONDecoderPicksOne() throws {
        let text = #"{"dense.kernel": 1, "dense.kernel": 2}"#
        #expect(try JSONDecoder().decode([String: Int].self, from: Data(text.utf8)) == ["dense.kernel": 1])
        #expect(throws: JSON.ParseError.self) { try JSON.parse(Array(text.utf8)) }
    }

    @Test func parsesEveryKindOfValue() throws {
        let text = #" { "a" : [1, -0, 2.5, -1e3, 1E+2, true, false, null], "b": {"c": "d"}, "e": 12345678901234567890 } "#
        let value = try JSON.parse(Array(text.utf8))
        #expect(value.members?.map(\.0) == ["a", "b", "e"])  // file order
        let a = try #require(value["a"]?.array)
        #expect(a.count == 8)
        #expect(a[0] == .integer(1) && a[1] == .integer(0) && a[2] == .number(2.5))
        #expect(a[3].double == -1000 && a[3].int == -1000 && a[4].double == 100)
        #expect(a[5] == .bool(true) && a[6] == .bool(false) && a[7] == .null)
        #expect(value["b"]?["c"]?.string == "d")
        #expect(value["e"]?.double == 12345678901234567890.0 && value["e"]?.int == nil)  // beyond Int: a Double, not whole within 2^62
        #expect(value["missing"] == nil && a[0]["x"] == nil)
    }

    @Test func decodesEscapesAndUTF8() throws {
        let text = #""q\" b\\ s\/ \b\f\n\r\t é \u00e9 \ud83d\ude00 😀""#
        #expect(try JSON.parse(Array(text.utf8)).string == "q\" b\\ s/ \u{08}\u{0C}\n\r\t é é 😀 😀")
    }

    @Test func whatItPrintsParsesBackTheSame() throws {
        let value = JSON.object([
            ("name", .string("tab\tquote\"\u{01}")), ("x", .number(0.1)), ("n", .integer(-7)),
            ("list", .array([.bool(true), .null, .object([])])),
        ])
        #expect(try JSON.parse(Array(value.text.utf8)) == value)
    }

    @Test(arguments: [
        "", "[1,]", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[1e]", "[+1]", "tru", "[1] x", "{\"a\" 1}", "{a:1}",
        "\"open", "\"bad \\x escape\"", "\"tab\there\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\u12\"", "\"\\u+123\"",
        "{\"k\":1,\"k\":2}", "NaN", "[Infinity]",
    ])
    func rejectsWhatIsNotJSON(text: String) {
        #expect(throws: JSON.ParseError.self) { try JSON.parse(Array(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(throws: JSON.ParseError.self) { try JSON.parse([0x22, 0xFF, 0x22]) }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSON.ParseError(offset: 256, reason: "nested deeper than 256")) { try JSON.parse(Array(deep.utf8)) }
        #expect(throws: Never.self) { try JSON.parse(Array(deep.utf8), maxDepth: 301) }
    }
}
