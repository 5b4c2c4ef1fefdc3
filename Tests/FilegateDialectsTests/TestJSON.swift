import FoundationEssentials
import NIOCore

/// A parsed JSON value for comparing bodies as values, independent of the module's own writer and reader.
enum TestJSON: Hashable, Decodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([TestJSON])
    case object([String: TestJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([TestJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: TestJSON].self))
        }
    }

    /// Parses JSON text; a parse failure yields `.string("<not JSON: …>")` so the comparison shows it.
    static func parse(_ text: String) -> TestJSON {
        (try? JSONDecoder().decode(TestJSON.self, from: Data(text.utf8))) ?? .string("<not JSON: \(text)>")
    }

    /// Parses a body; a missing body is `.null`.
    static func parse(_ buffer: ByteBuffer?) -> TestJSON {
        guard let buffer else { return .null }
        return parse(String(buffer: buffer))
    }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .number(let value): String(value)
        case .string(let value): "\"\(value)\""
        case .array(let values): "[" + values.map(\.description).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
    }
}

/// A buffer holding `text`.
func buffer(_ text: String) -> ByteBuffer {
    ByteBuffer(string: text)
}
