/// A strict RFC 8259 reader of one JSON text into `JSONValue`, object members in their order.
///
/// Hand-written because every upstream answer passes through it: Foundation's `JSONDecoder`, reached through
/// `Decodable`, took a seventh of filegate's CPU on small GETs (`make bench`), sorted members and dropped
/// duplicates. Nesting is bounded (`maxDepth`), so hostile input cannot exhaust the stack.
struct JSONParser {
    /// Deeper nesting is refused, as `JSONDecoder` refuses it.
    static let maxDepth = 512

    private let bytes: UnsafeRawBufferPointer
    private var index = 0

    /// The value of `bytes`, nil unless they are exactly one JSON text (whitespace around it allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> JSONValue? {
        var parser = JSONParser(bytes: bytes)
        guard let value = parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.index == bytes.count ? value : nil
    }

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    /// Consumes `literal` if the input continues with it.
    private mutating func consume(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] {
            return false
        }
        index += count
        return true
    }

    private mutating func value(depth: Int) -> JSONValue? {
        skipWhitespace()
        switch current {
        case UInt8(ascii: "{")?: return object(depth: depth + 1)
        case UInt8(ascii: "[")?: return array(depth: depth + 1)
        case UInt8(ascii: "\"")?: return string().map(JSONValue.string)
        case UInt8(ascii: "t")?: return consume("true") ? .bool(true) : nil
        case UInt8(ascii: "f")?: return consume("false") ? .bool(false) : nil
        case UInt8(ascii: "n")?: return consume("null") ? .null : nil
        case .some: return number()
        case nil: return nil
        }
    }

    private mutating func object(depth: Int) -> JSONValue? {
        guard depth <= Self.maxDepth else { return nil }
        index += 1
        var members: [JSONValue.Member] = []
        // A file object's members fit without growing (each growth looks up the storage's generic metadata again).
        members.reserveCapacity(12)
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\""), let key = string() else { return nil }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            guard let value = value(depth: depth) else { return nil }
            members.append(JSONValue.Member(key, value))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "}")?:
                index += 1
                return .object(members)
            default: return nil
            }
        }
    }

    private mutating func array(depth: Int) -> JSONValue? {
        guard depth <= Self.maxDepth else { return nil }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            guard let element = value(depth: depth) else { return nil }
            elements.append(element)
            skipWhitespace()
            switch current {
            case UInt8(ascii: ",")?: index += 1
            case UInt8(ascii: "]")?:
                index += 1
                return .array(elements)
            default: return nil
            }
        }
    }

    /// A string at `index` (its opening quote); unescaped runs are validated as UTF-8 and copied whole. A run of
    /// ASCII needs no validation: the stdlib's `String(validating:)` looks up generic metadata on every call, which
    /// made it a fifth of a file object's parsing.
    private mutating func string() -> String? {
        index += 1
        var result = ""
        var runStart = index
        var runIsASCII = true
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                guard appendRun(from: runStart, isASCII: runIsASCII, to: &result) else { return nil }
                index += 1
                return result
            case UInt8(ascii: "\\"):
                guard appendRun(from: runStart, isASCII: runIsASCII, to: &result) else { return nil }
                index += 1
                guard escape(into: &result) else { return nil }
                runStart = index
                runIsASCII = true
            case 0..<0x20:
                return nil
            default:
                if byte >= 0x80 { runIsASCII = false }
                index += 1
            }
        }
        return nil
    }

    private func appendRun(from start: Int, isASCII: Bool, to result: inout String) -> Bool {
        guard start < index else { return true }
        let run = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if isASCII {
            result += String(decoding: run, as: UTF8.self)
            return true
        }
        guard let text = String(validating: run, as: UTF8.self) else { return false }
        result += text
        return true
    }

    /// The escape after a backslash; `\u` pairs surrogates and refuses a lone one.
    private mutating func escape(into result: inout String) -> Bool {
        guard let byte = current else { return false }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): result.append("\"")
        case UInt8(ascii: "\\"): result.append("\\")
        case UInt8(ascii: "/"): result.append("/")
        case UInt8(ascii: "b"): result.append("\u{08}")
        case UInt8(ascii: "f"): result.append("\u{0C}")
        case UInt8(ascii: "n"): result.append("\n")
        case UInt8(ascii: "r"): result.append("\r")
        case UInt8(ascii: "t"): result.append("\t")
        case UInt8(ascii: "u"):
            guard let unit = hexUnit() else { return false }
            var scalar: Unicode.Scalar?
            if (0xD800..<0xDC00).contains(unit) {
                guard consume("\\u"), let low = hexUnit(), (0xDC00..<0xE000).contains(low) else { return false }
                scalar = Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
            } else {
                scalar = Unicode.Scalar(unit)
            }
            guard let scalar else { return false }
            result.unicodeScalars.append(scalar)
        default:
            return false
        }
        return true
    }

    private mutating func hexUnit() -> UInt32? {
        guard bytes.count - index >= 4 else { return nil }
        var unit: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            unit = unit << 4 | UInt32(digit)
            index += 1
        }
        return unit
    }

    /// A number by RFC 8259's grammar: an integer that fits `Int64` stays exact, anything else is a `Double`.
    private mutating func number() -> JSONValue? {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard skipDigits(allowLeadingZero: false) else { return nil }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard skipDigits(allowLeadingZero: true) else { return nil }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard skipDigits(allowLeadingZero: true) else { return nil }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .integer(integer) }
        guard let number = Double(text), number.isFinite else { return nil }
        return .number(number)
    }

    /// One or more digits; with `allowLeadingZero` false, a leading `0` must stand alone.
    private mutating func skipDigits(allowLeadingZero: Bool) -> Bool {
        let start = index
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            index += 1
        }
        guard index > start else { return false }
        return allowLeadingZero || bytes[start] != UInt8(ascii: "0") || index - start == 1
    }
}
