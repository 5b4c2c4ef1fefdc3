import FilegateDialects
import NIOCore
import Testing

/// `JSONValue.parse`: RFC 8259 exactly, members in their order, nothing lenient.
@Suite struct JSONParserTests {
    static func parse(_ text: String) -> JSONValue? {
        JSONValue.parse(ByteBuffer(string: text))
    }

    static let accepted: [(String, JSONValue)] = [
        ("null", .null),
        (" true ", .bool(true)),
        ("false", .bool(false)),
        ("0", .integer(0)),
        ("-12", .integer(-12)),
        ("9223372036854775807", .integer(Int64.max)),
        ("9223372036854775808", .number(9_223_372_036_854_775_808)),
        ("1.5", .number(1.5)),
        ("-0.25e2", .number(-25)),
        ("1E+2", .number(100)),
        (#""a\"b\\c\/d\n\t""#, .string("a\"b\\c/d\n\t")),
        (#""\u00e9\u20AC""#, .string("é€")),
        (#""\ud83d\ude00""#, .string("😀")),
        ("\"日本\"", .string("日本")),
        ("\"a\\n日\\u00e9b\"", .string("a\n日éb")),
        ("[]", .array([])),
        ("[1, [2], {}]", .array([.integer(1), .array([.integer(2)]), .object([])])),
        (
            #"{"z": 1, "a": null, "z": "x"}"#,
            .object([.init("z", .integer(1)), .init("a", .null), .init("z", .string("x"))])
        ),
        ("\r\n\t{ \"k\" : [ true ] }\n", .object([.init("k", .array([.bool(true)]))])),
    ]

    @Test(arguments: accepted)
    func accepts(text: String, expected: JSONValue) {
        #expect(Self.parse(text) == expected)
    }

    static let refused: [String] = [
        "", " ", "nul", "tru", "True", "01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity", "1e999",
        "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":}", "[", "{", "\"open",
        "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "1 2",
        "{} {}", "[]]", "\"\u{00}\"",
    ]

    @Test(arguments: refused)
    func refuses(text: String) {
        #expect(Self.parse(text) == nil)
    }

    /// Runs of ASCII skip validation, so invalid bytes are tried at the start, after ASCII and after an escape.
    @Test(arguments: [("\"", ""), ("\"a", ""), ("\"a\\n", "b"), ("\"\\u00e9", "")])
    func refusesInvalidUTF8InStrings(before: String, after: String) {
        var buffer = ByteBuffer(string: before)
        buffer.writeBytes([0xC0, 0xAF])
        buffer.writeString(after + "\"")
        #expect(JSONValue.parse(buffer) == nil)
    }

    @Test func boundsNesting() {
        let fine = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(Self.parse(fine) != nil)
        #expect(Self.parse(deep) == nil)
        #expect(Self.parse(String(repeating: "[", count: 100_000)) == nil)
    }

    @Test func laterDuplicateWins() {
        let value = Self.parse(#"{"id": "a", "id": "b"}"#)
        #expect(value?["id"] == .string("b"))
        #expect(value?.members?["id"] == .string("b"))
    }

    @Test(arguments: accepted.map(\.1))
    func roundTripsThroughItsOwnText(value: JSONValue) {
        #expect(JSONValue.parse(value.buffer) == value)
    }
}
