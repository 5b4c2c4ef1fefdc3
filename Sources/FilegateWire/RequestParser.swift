public import NIOCore

/// A strict, bounded, incremental HTTP/1.1 request parser (RFC 9112), fed bytes as they arrive.
///
/// Push style, to sit inside a NIO `ByteToMessageDecoder`: `next(_:)` consumes what it can from the buffer and returns
/// the next event, or nil when it needs more bytes. Bytes it leaves in the buffer (an unfinished line) must be
/// offered again with more appended, which is what a cumulation buffer does. Body bytes come back as slices of the
/// input, never gathered. NIO's llhttp decoder accepts what filegate must refuse and cannot tell 414 from 431 or 505
/// from 400 (DESIGN.md "Dependencies"), hence this parser: it refuses every ambiguity a proxy could be smuggled
/// through, and bounds every line it holds.
public struct RequestParser: Sendable {
    /// Where the parser stands in the current request.
    private enum State: Sendable {
        /// Before a request: skipping stray empty lines, waiting for the request line. Next: `headers`.
        case requestLine
        /// Reading field lines into `pendingHead`. Next: `endPending`, `body` or `chunkSize`.
        case headers
        /// A `Content-Length` body with that many bytes still to come. Next: itself or `endPending`.
        case body(remaining: Int64)
        /// Waiting for a `chunk-size [chunk-ext] CRLF` line. Next: `chunkData` or `trailers`.
        case chunkSize
        /// Inside a chunk with that many data bytes still to come. Next: itself or `chunkDataEnd`.
        case chunkData(remaining: Int64)
        /// Waiting for the CRLF after a chunk's data. Next: `chunkSize`.
        case chunkDataEnd
        /// After the last chunk: reading (and discarding) trailer fields. Next: `requestLine`.
        case trailers
        /// The body is complete; `.end` is owed without more input. Next: `requestLine`.
        case endPending
        /// A refusal was thrown; every later call throws it again.
        case failed(WireError)
    }

    /// Longest chunk-size, in hex digits: 16 already reaches past `Int64.max`.
    private static let maxChunkSizeDigits = 16

    public let limits: RequestLimits
    private var state: State = .requestLine
    /// The head being read, while in `headers`.
    private var pendingHead = RequestHead(method: "", target: "")
    /// Bytes of the header section or trailer section read so far, CRLFs included.
    private var sectionBytes = 0
    /// Fields in the trailer section read so far.
    private var trailerCount = 0
    /// Chunk-extension bytes seen in the current chunked body.
    private var extensionBytes = 0
    private var lines = LineReader()
    /// Whether the last `next(_:)` left bytes of an unfinished request line in the buffer.
    private var holdsPartialRequest = false

    public init(limits: RequestLimits = .init()) {
        self.limits = limits
    }

    /// Consumes bytes from `buffer` and returns the next event, or nil when more bytes are needed.
    ///
    /// Once it throws, the connection must be answered (`WireError.gatewayError`) and closed; later calls rethrow.
    public mutating func next(_ buffer: inout ByteBuffer) throws(WireError) -> RequestEvent? {
        do throws(WireError) {
            let event = try step(&buffer)
            if case .requestLine = state {
                holdsPartialRequest = buffer.readableBytes > 0
            } else {
                holdsPartialRequest = false
            }
            return event
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// Checks, at the end of input, that no request was cut short; returns normally between requests.
    public func finish() throws(WireError) {
        switch state {
        case .requestLine:
            if holdsPartialRequest {
                throw .badRequest("The connection closed in the middle of a request line.")
            }
        case .endPending:
            return
        case .failed(let error):
            throw error
        case .headers:
            throw .badRequest("The connection closed in the middle of the request headers.")
        case .body, .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            throw .badRequest("The connection closed before the request body was complete.")
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws(WireError) -> RequestEvent? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .requestLine:
                guard let line = try readLine(&buffer, maxContent: limits.maxRequestLineBytes, .requestLine) else {
                    return nil
                }
                // RFC 9112 §2.2: a server should ignore at least one empty line received before the request line.
                if line.isEmpty { continue }
                pendingHead = try Self.parseRequestLine(line)
                sectionBytes = 0
                state = .headers
            case .headers:
                switch try readHeaderLine(&buffer) {
                case .incomplete: return nil
                case .field: continue
                case .complete(let head): return .head(head)
                }
            case .body(let remaining):
                guard let slice = readBody(&buffer, remaining: remaining) else { return nil }
                let left = remaining - Int64(slice.readableBytes)
                state = left == 0 ? .endPending : .body(remaining: left)
                return .body(slice)
            case .chunkSize:
                guard try readChunkSize(&buffer) else { return nil }
            case .chunkData(let remaining):
                guard let slice = readBody(&buffer, remaining: remaining) else { return nil }
                let left = remaining - Int64(slice.readableBytes)
                state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                return .body(slice)
            case .chunkDataEnd:
                guard try readChunkDataEnd(&buffer) else { return nil }
            case .trailers:
                guard try readTrailerLine(&buffer) else { return nil }
                if case .requestLine = state { return .end }
            case .endPending:
                state = .requestLine
                return .end
            }
        }
    }

    /// What reading one header line achieved.
    private enum HeaderLine {
        case incomplete
        case field
        /// The empty line ending the section arrived: the head, validated, and `state` set for its body.
        case complete(RequestHead)
    }

    /// Reads one header field line, or the empty line that ends the section.
    private mutating func readHeaderLine(_ buffer: inout ByteBuffer) throws(WireError) -> HeaderLine {
        guard let line = try readLine(&buffer, maxContent: limits.maxHeaderBytes - sectionBytes - 2, .header) else {
            return .incomplete
        }
        sectionBytes += line.count + 2
        guard !line.isEmpty else {
            let head = pendingHead
            pendingHead = RequestHead(method: "", target: "")
            switch try Self.validate(head) {
            case .none, .length(0):
                state = .endPending
            case .length(let length):
                state = .body(remaining: length)
            case .chunked:
                extensionBytes = 0
                state = .chunkSize
            }
            return .complete(head)
        }
        guard pendingHead.headers.count < limits.maxHeaderCount else {
            throw WireError(.headerFieldsTooLarge, "The request has more than \(limits.maxHeaderCount) header fields.")
        }
        let (name, value) = try Self.parseField(line)
        pendingHead.headers.add(name: name, value: value)
        return .field
    }

    /// Reads a chunk-size line; returns false when it is not complete yet.
    private mutating func readChunkSize(_ buffer: inout ByteBuffer) throws(WireError) -> Bool {
        let budget = limits.maxChunkExtensionBytes - extensionBytes
        guard let line = try readLine(&buffer, maxContent: Self.maxChunkSizeDigits + budget, .chunkSize) else {
            return false
        }
        let digits = line.prefix { ASCII.hexValue($0) != nil }
        guard !digits.isEmpty else { throw .badRequest("A chunk size is not a hexadecimal number.") }
        guard digits.count <= Self.maxChunkSizeDigits else { throw .badRequest("A chunk size is too large.") }
        var size: Int64 = 0
        for digit in digits {
            guard size <= (Int64.max >> 4), let value = ASCII.hexValue(digit) else {
                throw .badRequest("A chunk size is too large.")
            }
            size = size << 4 | Int64(value)
        }
        let extensions = line[digits.endIndex...]
        extensionBytes += extensions.count
        guard extensionBytes <= limits.maxChunkExtensionBytes else { throw tooLong(.chunkSize) }
        if let first = extensions.first(where: { !ASCII.isWhitespace($0) }) {
            guard first == ASCII.semicolon, !extensions.contains(where: ASCII.isForbiddenInValue) else {
                throw .badRequest("A chunk size line is malformed.")
            }
        } else if !extensions.isEmpty {
            throw .badRequest("A chunk size line is malformed.")
        }
        if size == 0 {
            sectionBytes = 0
            trailerCount = 0
            state = .trailers
        } else {
            state = .chunkData(remaining: size)
        }
        return true
    }

    /// Reads the CRLF that must follow a chunk's data; returns false when it has not arrived yet.
    private mutating func readChunkDataEnd(_ buffer: inout ByteBuffer) throws(WireError) -> Bool {
        let view = buffer.readableBytesView
        let misplaced = WireError.badRequest("Chunk data is not followed by CRLF.")
        guard view.count >= 2 else {
            if let first = view.first, first != ASCII.cr { throw misplaced }
            return false
        }
        guard view[view.startIndex] == ASCII.cr, view[view.startIndex + 1] == ASCII.lf else { throw misplaced }
        buffer.moveReaderIndex(forwardBy: 2)
        state = .chunkSize
        return true
    }

    /// Reads one trailer line, checking its syntax and discarding it; returns false when it is not complete yet.
    private mutating func readTrailerLine(_ buffer: inout ByteBuffer) throws(WireError) -> Bool {
        guard let line = try readLine(&buffer, maxContent: limits.maxHeaderBytes - sectionBytes - 2, .trailer) else {
            return false
        }
        sectionBytes += line.count + 2
        guard !line.isEmpty else {
            state = .requestLine
            return true
        }
        trailerCount += 1
        guard trailerCount <= limits.maxHeaderCount else {
            throw WireError(.headerFieldsTooLarge, "The request has more than \(limits.maxHeaderCount) trailer fields.")
        }
        _ = try Self.parseField(line)
        return true
    }

    /// Takes up to `remaining` body bytes as a slice of the input; nil when none are readable.
    private func readBody(_ buffer: inout ByteBuffer, remaining: Int64) -> ByteBuffer? {
        let available = buffer.readableBytes
        guard available > 0 else { return nil }
        let length = Int64(available) < remaining ? available : Int(remaining)
        return buffer.readSlice(length: length)
    }

    /// The lines `readLine` reads, each with its own refusal when too long.
    private enum Line {
        case requestLine
        case header
        case trailer
        case chunkSize
    }

    /// Consumes one CRLF-terminated line and returns it without its CRLF, or nil when it has not all arrived.
    ///
    /// Throws as soon as the line is known to exceed `maxContent` bytes, and refuses a bare LF or CR.
    private mutating func readLine(
        _ buffer: inout ByteBuffer,
        maxContent: Int,
        _ line: Line
    ) throws(WireError) -> [UInt8]? {
        switch lines.read(&buffer, maxContent: maxContent) {
        case .line(let bytes): return bytes
        case .incomplete: return nil
        case .tooLong: throw tooLong(line)
        case .bareLF: throw .badRequest("A line ends with a bare LF instead of CRLF.")
        case .bareCR: throw .badRequest("A line contains a bare CR.")
        }
    }

    /// The refusal of a line longer than allowed; made only when thrown (its message's interpolation, made for every
    /// line read, was half a microsecond each).
    private func tooLong(_ line: Line) -> WireError {
        switch line {
        case .requestLine:
            WireError(.uriTooLong, "The request line is longer than \(limits.maxRequestLineBytes) bytes.")
        case .header:
            WireError(.headerFieldsTooLarge, "The request headers are larger than \(limits.maxHeaderBytes) bytes.")
        case .trailer:
            WireError(.headerFieldsTooLarge, "The request trailers are larger than \(limits.maxHeaderBytes) bytes.")
        case .chunkSize:
            .badRequest("The chunk extensions are longer than \(limits.maxChunkExtensionBytes) bytes.")
        }
    }
}

extension RequestParser {
    /// Parses `method SP request-target SP HTTP-version` (RFC 9112 §3), single spaces only.
    static func parseRequestLine(_ line: [UInt8]) throws(WireError) -> RequestHead {
        let parts = line.split(separator: ASCII.space, omittingEmptySubsequences: false)
        if parts.count == 2, ASCII.isToken(parts[0]), !parts[1].isEmpty {
            throw WireError(.http09, "HTTP/0.9 requests are not supported.")
        }
        guard parts.count == 3 else { throw .badRequest("The request line is malformed.") }
        let (method, target, version) = (parts[0], parts[1], parts[2])
        guard ASCII.isToken(method) else { throw .badRequest("The request method is not a token.") }
        guard !target.isEmpty, target.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .badRequest("The request target is malformed.")
        }
        let parsedVersion = try parseVersion(version)
        // CONNECT asks for a tunnel, whose bytes follow the head: never served, and the connection cannot go on.
        guard !method.elementsEqual("CONNECT".utf8) else {
            throw WireError(.methodNotAllowed, "CONNECT is not served: filegate is no proxy.")
        }
        let parsedTarget = try RequestTarget.parse(target)
        var head = RequestHead(method: ASCII.string(method), target: parsedTarget.origin, version: parsedVersion)
        head.authority = parsedTarget.authority
        return head
    }

    /// Parses `HTTP/DIGIT.DIGIT`; a major version other than 1 is 505, anything else malformed is 400.
    static func parseVersion(_ bytes: ArraySlice<UInt8>) throws(WireError) -> HTTPVersion {
        let prefix = "HTTP/".utf8
        let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard bytes.starts(with: prefix) else { throw .badRequest("The HTTP version is malformed.") }
        let rest = bytes.dropFirst(prefix.count)
        if let major = rest.first, digits.contains(major), major != UInt8(ascii: "1") {
            throw WireError(.httpVersionNotSupported, "Only HTTP/1.x is supported.")
        }
        guard rest.count == 3, let major = rest.first, let minor = rest.last, digits.contains(major),
            rest[rest.startIndex + 1] == UInt8(ascii: "."), digits.contains(minor)
        else { throw .badRequest("The HTTP version is malformed.") }
        return HTTPVersion(major: Int(major - digits.lowerBound), minor: Int(minor - digits.lowerBound))
    }

    /// Parses `field-name ":" OWS field-value OWS` (RFC 9112 §5), refusing obs-fold, whitespace before the colon and
    /// values that are not UTF-8.
    static func parseField(_ line: [UInt8]) throws(WireError) -> (name: String, value: String) {
        if let first = line.first, ASCII.isWhitespace(first) {
            throw .badRequest("Folded header lines (obs-fold) are not accepted.")
        }
        guard let colon = line.firstIndex(of: ASCII.colon) else {
            throw .badRequest("A header line has no colon.")
        }
        let name = line[..<colon]
        if let last = name.last, ASCII.isWhitespace(last) {
            throw .badRequest("A header name is followed by whitespace before its colon.")
        }
        guard ASCII.isToken(name) else { throw .badRequest("A header name is empty or not a token.") }
        let value = ASCII.trimmed(line[(colon + 1)...])
        guard !value.contains(where: ASCII.isForbiddenInValue) else {
            throw .badRequest("A header value contains a control character.")
        }
        // Bytes that are not UTF-8 would be read as U+FFFD and forwarded changed; refused instead, never altered.
        guard let text = ASCII.text(validating: value) else {
            throw .badRequest("A header value is not valid UTF-8.")
        }
        return (ASCII.string(name), text)
    }

    /// Checks `Host` and the framing fields of a complete head (RFC 9112 §3.2, §6.1, §6.3) and returns its framing.
    static func validate(_ head: RequestHead) throws(WireError) -> BodyFraming {
        let headers = head.headers
        let isHTTP10 = head.version.minor == 0
        guard headers.count(name: "Host") <= 1 else { throw .badRequest("The request has more than one Host header.") }
        if let host = headers.first(name: "Host") {
            guard isValidHost(Array(host.utf8)) else { throw .badRequest("The Host header is malformed.") }
        } else if !isHTTP10 {
            throw .badRequest("An HTTP/1.1 request must have a Host header.")
        }
        let lengths = headers["Content-Length"]
        let codings = headers["Transfer-Encoding"]
        if !codings.isEmpty {
            guard lengths.isEmpty else {
                throw .badRequest("A request must not have both Content-Length and Transfer-Encoding.")
            }
            guard !isHTTP10 else { throw .badRequest("Transfer-Encoding is not allowed in an HTTP/1.0 request.") }
            guard codings.count == 1, ASCII.equalsIgnoringCase(codings[0], "chunked") else {
                throw .badRequest("The only supported Transfer-Encoding is chunked.")
            }
            return .chunked
        }
        guard lengths.count <= 1 else { throw .badRequest("The request has more than one Content-Length header.") }
        guard let length = lengths.first else { return .none }
        guard let value = ASCII.decimal(length.utf8) else { throw .badRequest("The Content-Length is not a number.") }
        return .length(value)
    }

    /// `uri-host [":" port]` (RFC 3986 §3.2.2): a bracketed IP literal or a non-empty reg-name, then digits.
    static func isValidHost(_ bytes: [UInt8]) -> Bool {
        let hostEnd: Int
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1,
                bytes[1..<close].allSatisfy({
                    ASCII.hexValue($0) != nil || $0 == ASCII.colon || $0 == UInt8(ascii: ".")
                })
            else { return false }
            hostEnd = close + 1
        } else {
            hostEnd = bytes.firstIndex(of: ASCII.colon) ?? bytes.count
            guard hostEnd > 0, bytes[..<hostEnd].allSatisfy(isRegNameCharacter) else { return false }
        }
        let port = bytes[hostEnd...]
        guard let colon = port.first else { return true }
        let digits = port.dropFirst()
        return colon == ASCII.colon && digits.count <= 5
            && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// unreserved, pct-encoded and sub-delims of RFC 3986.
    private static func isRegNameCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "%"),
            UInt8(ascii: "!"), UInt8(ascii: "$"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "("),
            UInt8(ascii: ")"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"),
            UInt8(ascii: "="):
            true
        default:
            false
        }
    }
}
