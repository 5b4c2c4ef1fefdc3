public import FilegateCore
public import NIOCore

/// Reads a backend's list answer, `{"data": [{file}, …], "object": "list"}`, as it streams, one file object at a
/// time.
///
/// A dated backend answers a list with every file it holds and no paging (DESIGN.md "Paging a backend without
/// paging"), so the whole body is never held: a small scanner that tracks strings, escapes and nesting depth cuts out
/// each element of `data`, and the dialect's `decodeFile` reads it. Memory is one element (at most `maxEntryBytes`)
/// plus the scan state, whatever the length of the list. Members come in any order, other members are read (they must
/// be valid JSON, each under `maxEntryBytes`) and ignored, and whitespace may stand between any two tokens.
///
/// Anything that is not such a list (no `data`, a `data` that is not an array, two `data` members, an element that is
/// not a file object, bad or truncated JSON, bytes after the object) is a 502, `GatewayError.Code.badGateway`; after
/// an error the decoder refuses everything fed to it.
public struct FileListStreamDecoder: Sendable {
    /// Where the scan is in the list's object.
    private enum State: Sendable, Hashable {
        /// Before the object's `{`.
        case start
        /// Where a member's key starts; `first` allows the `}` of an empty object.
        case beforeKey(first: Bool)
        /// Cutting a member's key.
        case key
        /// Between a key and its `:`.
        case afterKey
        /// Where a member's value starts.
        case beforeValue
        /// Cutting the value of a member other than `data`.
        case otherValue
        /// Inside `data`, where an element starts; `first` allows the `]` of an empty array.
        case beforeEntry(first: Bool)
        /// Cutting an element of `data`.
        case entry
        /// Inside `data`, after an element.
        case afterEntry
        /// After a member's value.
        case afterValue
        /// After the object's `}`: only whitespace may follow.
        case done
        /// An error was thrown: nothing more is read.
        case failed
    }

    private let dialect: Dialect
    private let maxEntryBytes: Int
    private var state = State.start
    private var cutter = ValueCutter()
    private var memberIsData = false
    private var sawData = false

    /// - Parameters:
    ///   - dialect: the backend's dialect, whose `decodeFile` reads each element.
    ///   - maxEntryBytes: the largest element (or other member's value, or key) the decoder holds; a larger one is a
    ///     502, so a backend cannot make filegate buffer without bound.
    public init(dialect: Dialect, maxEntryBytes: Int = 65536) {
        self.dialect = dialect
        self.maxEntryBytes = maxEntryBytes
    }

    /// Reads the next chunk of the body and returns the file objects whose last byte it holds, in list order.
    public mutating func feed(_ chunk: ByteBuffer) throws(GatewayError) -> [FileObject] {
        do {
            return try scan(chunk.readableBytesView)
        } catch {
            state = .failed
            throw error
        }
    }

    /// Checks that the body ended where the list's object ends; a truncated body is a 502.
    public func finish() throws(GatewayError) {
        switch state {
        case .done: return
        case .failed: throw Self.invalid("the decoder failed earlier")
        default: throw Self.invalid("the body ends inside the list")
        }
    }

    private mutating func scan(_ bytes: ByteBufferView) throws(GatewayError) -> [FileObject] {
        var files: [FileObject] = []
        var index = bytes.startIndex
        // Where the value being cut starts in this chunk: the cut's bytes are copied once per chunk, not byte by byte.
        var cutStart = index
        while index < bytes.endIndex {
            let byte = bytes[index]
            if isCutting {
                switch cutter.step(byte) {
                case .more:
                    index += 1
                case .endsWithByte:
                    index += 1
                    try completeCut(bytes[cutStart..<index], into: &files)
                case .endsBeforeByte:
                    try completeCut(bytes[cutStart..<index], into: &files)
                }
            } else if Self.isWhitespace(byte) {
                index += 1
            } else if try startsValue(byte) {
                cutter.reset()
                cutStart = index
            } else {
                index += 1
            }
        }
        if isCutting {
            try append(bytes[cutStart..<bytes.endIndex])
        }
        return files
    }

    private var isCutting: Bool {
        switch state {
        case .key, .otherValue, .entry: true
        default: false
        }
    }

    /// Reads one structural byte outside any value; `true` when the byte starts a value to cut, which the cutter then
    /// reads from that byte on.
    private mutating func startsValue(_ byte: UInt8) throws(GatewayError) -> Bool {
        switch state {
        case .start:
            guard byte == UInt8(ascii: "{") else { throw Self.invalid("the answer is not a JSON object") }
            state = .beforeKey(first: true)
        case .beforeKey(let first):
            if byte == UInt8(ascii: "\"") {
                state = .key
                return true
            }
            guard first, byte == UInt8(ascii: "}") else { throw Self.invalid("a member key was expected") }
            try close()
        case .afterKey:
            guard byte == UInt8(ascii: ":") else { throw Self.invalid("a ':' was expected after a key") }
            state = .beforeValue
        case .beforeValue:
            if memberIsData {
                guard byte == UInt8(ascii: "[") else { throw Self.invalid("'data' is not an array") }
                state = .beforeEntry(first: true)
                return false
            }
            guard !Self.isDelimiter(byte) else { throw Self.invalid("a member without a value") }
            state = .otherValue
            return true
        case .beforeEntry(let first):
            if first, byte == UInt8(ascii: "]") {
                state = .afterValue
                return false
            }
            guard !Self.isDelimiter(byte) else { throw Self.invalid("an element of 'data' was expected") }
            state = .entry
            return true
        case .afterEntry:
            switch byte {
            case UInt8(ascii: ","): state = .beforeEntry(first: false)
            case UInt8(ascii: "]"): state = .afterValue
            default: throw Self.invalid("a ',' or ']' was expected after an element of 'data'")
            }
        case .afterValue:
            switch byte {
            case UInt8(ascii: ","): state = .beforeKey(first: false)
            case UInt8(ascii: "}"): try close()
            default: throw Self.invalid("a ',' or '}' was expected after a member")
            }
        case .done:
            throw Self.invalid("bytes follow the list's object")
        case .failed:
            throw Self.invalid("the decoder failed earlier")
        case .key, .otherValue, .entry:
            preconditionFailure("a value being cut is read by the cutter")
        }
        return false
    }

    /// The object's closing `}`: a list must have had its `data`.
    private mutating func close() throws(GatewayError) {
        guard sawData else { throw Self.invalid("a list without 'data'") }
        state = .done
    }

    private mutating func append(_ bytes: ByteBufferView) throws(GatewayError) {
        guard cutter.bytes.readableBytes + bytes.count <= maxEntryBytes else {
            throw Self.invalid("a list element or member over \(maxEntryBytes) bytes")
        }
        cutter.bytes.writeBytes(bytes)
    }

    /// The value being cut ended with `bytes`: reads it as what the state says it is.
    private mutating func completeCut(_ bytes: ByteBufferView, into files: inout [FileObject]) throws(GatewayError) {
        try append(bytes)
        switch state {
        case .key:
            guard case .string(let key)? = JSONValue.parse(cutter.bytes) else { throw Self.invalid("a bad member key") }
            memberIsData = key == "data"
            if memberIsData {
                guard !sawData else { throw Self.invalid("a list with two 'data' members") }
                sawData = true
            }
            state = .afterKey
        case .otherValue:
            guard JSONValue.parse(cutter.bytes) != nil else { throw Self.invalid("a member's value is not JSON") }
            state = .afterValue
        case .entry:
            files.append(try dialect.decodeFile(cutter.bytes))
            state = .afterEntry
        default:
            preconditionFailure("only a value being cut completes")
        }
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\t")
    }

    /// Bytes that end a number or literal, and so can never start a value.
    private static func isDelimiter(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")
            || byte == UInt8(ascii: ":")
    }

    private static func invalid(_ what: String) -> GatewayError {
        GatewayError(.badGateway, "The upstream service's answer is not a valid list.", underlying: what)
    }

    /// Finds where one JSON value ends, byte by byte, and holds its bytes; the JSON parser checks them afterwards.
    ///
    /// A string ends at its unescaped closing quote, an object or array when the depth of brackets outside strings
    /// comes back to zero, a number or literal at the first whitespace or delimiter (which belongs to what follows).
    /// Mismatched brackets are left to the parser, which rejects the cut.
    private struct ValueCutter: Sendable {
        enum Step {
            case more
            /// The value's last byte is this one.
            case endsWithByte
            /// The value ended before this byte, which the decoder reads next.
            case endsBeforeByte
        }

        var bytes = ByteBuffer()
        private var started = false
        private var isScalar = false
        private var inString = false
        private var escaped = false
        private var depth = 0

        /// Makes ready for the next value, keeping the storage (at most one element's worth).
        mutating func reset() {
            bytes.clear()
            started = false
            isScalar = false
            inString = false
            escaped = false
            depth = 0
        }

        mutating func step(_ byte: UInt8) -> Step {
            guard started else {
                started = true
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth = 1
                default: isScalar = true
                }
                return .more
            }
            if isScalar {
                return FileListStreamDecoder.isWhitespace(byte) || FileListStreamDecoder.isDelimiter(byte)
                    ? .endsBeforeByte : .more
            }
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 0 { return .endsWithByte }
                }
                return .more
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return .endsWithByte }
            default:
                break
            }
            return .more
        }
    }
}
