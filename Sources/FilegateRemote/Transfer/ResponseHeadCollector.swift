import FilegateWire

/// Gathers the header fields of one response head from the lines curl's header callback hands over.
///
/// curl calls the header callback once per line, status line and final empty line included, for every head it
/// reads: interim 1xx heads, a proxy's CONNECT answer, the final head and trailers. The collector starts afresh at
/// each status line and says when a head is complete; the caller decides, by the status, whether it is the final one.
struct ResponseHeadCollector {
    /// What one line meant.
    enum Line: Hashable {
        /// A status line or a field: more to come.
        case partOfHead
        /// The empty line: `headers` holds the fields of the head that ended.
        case endOfHead
    }

    /// The fields since the last status line, names and values as sent (values without surrounding blanks). A field
    /// whose bytes are not UTF-8 is left out: read as U+FFFD it would reach the client changed.
    private(set) var fields: [(name: String, value: String)]

    init() {
        // Room for a usual head at once, kept across interim heads: growing field by field was a tenth of its cost.
        fields = []
        fields.reserveCapacity(16)
    }

    var headers: HTTPHeaders {
        HTTPHeaders(fields.map { ($0.name, $0.value) })
    }

    /// Feeds one line, with or without its CRLF.
    mutating func receivedLine(_ line: some Collection<UInt8>) -> Line {
        var bytes = Array(line)
        while let last = bytes.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") {
            bytes.removeLast()
        }
        guard let first = bytes.first else { return .endOfHead }
        if bytes.starts(with: Self.statusLinePrefix) {
            fields.removeAll(keepingCapacity: true)
            return .partOfHead
        }
        if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // An obsolete line folding (RFC 9112 §5.2): the line continues the previous field's value.
            guard !fields.isEmpty else { return .partOfHead }
            guard let continuation = ASCII.text(validating: ASCII.trimmed(bytes[...])) else {
                fields.removeLast()
                return .partOfHead
            }
            fields[fields.count - 1].value += " " + continuation
            return .partOfHead
        }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
            let name = ASCII.text(validating: bytes[..<colon]),
            let value = ASCII.text(validating: ASCII.trimmed(bytes[(colon + 1)...]))
        else { return .partOfHead }
        fields.append((name, value))
        return .partOfHead
    }

    private static let statusLinePrefix = Array("HTTP/".utf8)

    /// Forgets the fields, for a head that is not the final one.
    mutating func reset() {
        fields.removeAll(keepingCapacity: true)
    }
}
