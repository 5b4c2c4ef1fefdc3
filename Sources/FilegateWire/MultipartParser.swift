import CFilegateSystem
public import FilegateCore
// fg_memmem, memchr: the one scan over every uploaded byte must be fast in debug builds too (`make run`, CI), where a
// generic `firstIndex(of:)` costs a metadata lookup per call.
import Glibc
public import NIOCore

/// An incremental, bounded `multipart/form-data` parser (RFC 7578, RFC 2046 §5.1), fed bytes as they arrive.
///
/// The push-parser shape of vapor/multipart-kit 4.7.1's `MultipartParser`, as a value type with limits on part
/// headers and parts and an end-of-input check (STYLE.md §4). `next(_:)` consumes what it can and returns the next
/// event, or nil when it needs more bytes; bytes it leaves in the buffer (a possible delimiter, an unfinished
/// header line) must be offered again with more appended. Part data is yielded as slices of the input as soon as it
/// cannot be the start of a delimiter, so at most the delimiter's length is ever held back.
public struct MultipartParser: Sendable {
    /// Where the parser stands in the body.
    private enum State: Sendable {
        /// Discarding the preamble until the first delimiter. Next: `afterDelimiter`.
        case preamble
        /// A delimiter matched: `--` closes the body, transport padding and CRLF open a part.
        /// Next: `partHeaders` or `endPending`.
        case afterDelimiter
        /// Reading a part's header lines. Next: `partData`.
        case partHeaders
        /// Yielding part data until a delimiter. Next: `afterDelimiter` (after `.partEnd`).
        case partData
        /// The close delimiter was read; `.end` is owed without more input. Next: `epilogue`.
        case endPending
        /// After `.end`: input is discarded.
        case epilogue
        /// A refusal was thrown; every later call throws it again.
        case failed(GatewayError)
    }

    /// What a search for the delimiter found in the readable bytes.
    private enum DelimiterSearch {
        /// The whole delimiter starts at this offset.
        case found(Int)
        /// The bytes from this offset to the end are a proper prefix of the delimiter.
        case partial(Int)
        case absent
    }

    public let limits: MultipartLimits
    /// `CRLF "--" boundary`: what ends every part's data (RFC 2046 §5.1.1).
    private let delimiter: [UInt8]
    private var state: State = .preamble
    /// Whether nothing has been consumed yet: the first delimiter may then come without its leading CRLF.
    private var atStart = true
    private var lines = LineReader()
    private var partHeaders = HTTPHeaders()
    private var partHeaderBytes = 0
    private var partCount = 0

    public init(boundary: String, limits: MultipartLimits = .init()) {
        self.limits = limits
        delimiter = Array("\r\n--\(boundary)".utf8)
    }

    /// Consumes bytes from `buffer` and returns the next event, or nil when more bytes are needed.
    public mutating func next(_ buffer: inout ByteBuffer) throws(GatewayError) -> MultipartEvent? {
        do throws(GatewayError) {
            return try step(&buffer)
        } catch {
            state = .failed(error)
            throw error
        }
    }

    /// Checks, at the end of input, that the close delimiter was read.
    public func finish() throws(GatewayError) {
        switch state {
        case .endPending, .epilogue:
            return
        case .failed(let error):
            throw error
        case .preamble, .afterDelimiter, .partHeaders, .partData:
            throw Self.malformed("the multipart body ended before its closing boundary")
        }
    }

    private mutating func step(_ buffer: inout ByteBuffer) throws(GatewayError) -> MultipartEvent? {
        while true {
            switch state {
            case .failed(let error):
                throw error
            case .preamble:
                guard skipPreamble(&buffer) else { return nil }
                state = .afterDelimiter
            case .afterDelimiter:
                guard try readDelimiterEnd(&buffer) else { return nil }
            case .partHeaders:
                guard let head = try readPartHeaders(&buffer) else { return nil }
                return .partHead(head)
            case .partData:
                switch search(buffer) {
                case .found(0):
                    buffer.moveReaderIndex(forwardBy: delimiter.count)
                    state = .afterDelimiter
                    return .partEnd
                case .found(let offset), .partial(let offset):
                    guard offset > 0, let slice = buffer.readSlice(length: offset) else { return nil }
                    return .partBody(slice)
                case .absent:
                    guard buffer.readableBytes > 0, let slice = buffer.readSlice(length: buffer.readableBytes) else {
                        return nil
                    }
                    return .partBody(slice)
                }
            case .endPending:
                state = .epilogue
                return .end
            case .epilogue:
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return nil
            }
        }
    }

    /// Discards preamble bytes up to and including the first delimiter; returns false when it has not arrived yet.
    private mutating func skipPreamble(_ buffer: inout ByteBuffer) -> Bool {
        if atStart {
            // The first delimiter may open the body directly, without the CRLF that belongs to it.
            let dashBoundary = delimiter[2...]
            let view = buffer.readableBytesView
            if view.count < dashBoundary.count, dashBoundary.starts(with: view) { return false }
            atStart = false
            if view.starts(with: dashBoundary) {
                buffer.moveReaderIndex(forwardBy: dashBoundary.count)
                return true
            }
        }
        switch search(buffer) {
        case .found(let offset):
            buffer.moveReaderIndex(forwardBy: offset + delimiter.count)
            return true
        case .partial(let offset):
            buffer.moveReaderIndex(forwardBy: offset)
            return false
        case .absent:
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return false
        }
    }

    /// Reads what follows a delimiter; returns false when not enough of it has arrived.
    private mutating func readDelimiterEnd(_ buffer: inout ByteBuffer) throws(GatewayError) -> Bool {
        let view = buffer.readableBytesView
        guard let first = view.first else { return false }
        if first == ASCII.hyphen {
            guard view.count >= 2 else { return false }
            guard view[view.startIndex + 1] == ASCII.hyphen else {
                throw Self.malformed("a boundary is followed by unexpected bytes")
            }
            buffer.moveReaderIndex(forwardBy: 2)
            state = .endPending
            return true
        }
        switch lines.read(&buffer, maxContent: limits.maxPartHeaderBytes) {
        case .incomplete:
            return false
        case .line(let padding) where padding.allSatisfy(ASCII.isWhitespace):
            partHeaders = HTTPHeaders()
            partHeaderBytes = 0
            state = .partHeaders
            return true
        case .line, .tooLong, .bareCR:
            throw Self.malformed("a boundary is followed by unexpected bytes")
        case .bareLF:
            throw Self.malformed("a line ends with a bare LF instead of CRLF")
        }
    }

    /// Reads part header lines while they are complete; returns the part's head after the empty line that ends
    /// them, or nil when the next line has not all arrived.
    private mutating func readPartHeaders(_ buffer: inout ByteBuffer) throws(GatewayError) -> MultipartPartHead? {
        while true {
            let line: [UInt8]
            switch lines.read(&buffer, maxContent: limits.maxPartHeaderBytes - partHeaderBytes - 2) {
            case .line(let read): line = read
            case .incomplete: return nil
            case .tooLong: throw Self.malformed("a part's headers are larger than \(limits.maxPartHeaderBytes) bytes")
            case .bareLF: throw Self.malformed("a line ends with a bare LF instead of CRLF")
            case .bareCR: throw Self.malformed("a line contains a bare CR")
            }
            partHeaderBytes += line.count + 2
            if line.isEmpty { break }
            do throws(WireError) {
                let (name, value) = try RequestParser.parseField(line)
                partHeaders.add(name: name, value: value)
            } catch {
                throw Self.malformed("a part header line is malformed")
            }
        }
        partCount += 1
        guard partCount <= limits.maxParts else { throw Self.malformed("it has more than \(limits.maxParts) parts") }
        let head = try Self.partHead(partHeaders)
        state = .partData
        return head
    }

    /// Builds a part's head from its headers: `Content-Disposition: form-data` with a `name` is required.
    static func partHead(_ headers: HTTPHeaders) throws(GatewayError) -> MultipartPartHead {
        let dispositions = headers["Content-Disposition"]
        guard dispositions.count == 1, let parsed = HeaderParameters(dispositions[0]),
            ASCII.equalsIgnoringCase(parsed.value, "form-data")
        else { throw malformed("a part has no valid Content-Disposition: form-data header") }
        guard let name = parsed.parameter("name") else { throw malformed("a part has no name") }
        return MultipartPartHead(
            name: name,
            filename: parsed.parameter("filename"),
            contentType: headers.first(name: "Content-Type"),
            headers: headers
        )
    }

    /// Looks for the delimiter in the readable bytes, then for a proper prefix of it at their end.
    ///
    /// glibc's `memmem` skips ahead by pairs of bytes; jumping from CR to CR stopped about every 256 bytes of a
    /// binary file, and that scan was a sixth of the event loop's CPU in a 1 GiB upload.
    private func search(_ buffer: ByteBuffer) -> DelimiterSearch {
        buffer.withUnsafeReadableBytes { bytes in
            delimiter.withUnsafeBytes { delimiter in
                guard let base = bytes.baseAddress, let needle = delimiter.baseAddress else { return .absent }
                if let found = fg_memmem(base, bytes.count, needle, delimiter.count) {
                    return .found(base.distance(to: UnsafeRawPointer(found)))
                }
                var from = max(0, bytes.count - delimiter.count + 1)
                while from < bytes.count, let found = memchr(base + from, Int32(ASCII.cr), bytes.count - from) {
                    let start = base.distance(to: UnsafeRawPointer(found))
                    if memcmp(base + start, needle, bytes.count - start) == 0 { return .partial(start) }
                    from = start + 1
                }
                return .absent
            }
        }
    }

    static func malformed(_ why: String) -> GatewayError {
        GatewayError(.invalidRequest, "Malformed multipart body: \(why).")
    }
}

extension MultipartParser {
    /// The boundary of a `multipart/form-data` Content-Type (RFC 2046 §5.1.1: 1 to 70 characters, quoted or not).
    public static func boundary(fromContentType contentType: String?) throws(GatewayError) -> String {
        let refusal = GatewayError(.invalidRequest, "The Content-Type must be multipart/form-data with a boundary.")
        guard let contentType, let parsed = HeaderParameters(contentType),
            ASCII.equalsIgnoringCase(parsed.value, "multipart/form-data"),
            let boundary = parsed.parameter("boundary"),
            (1...70).contains(boundary.utf8.count), boundary.utf8.last != ASCII.space,
            boundary.utf8.allSatisfy(isBoundaryCharacter)
        else { throw refusal }
        return boundary
    }

    /// `bchars` of RFC 2046 §5.1.1.
    private static func isBoundaryCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("'()+_,-./:=? ".utf8).contains(byte)
        }
    }
}
