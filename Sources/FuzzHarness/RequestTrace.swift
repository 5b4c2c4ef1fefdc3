public import FilegateWire
import NIOCore

/// What `RequestParser` made of one input, in comparable form: each request's body chunks merged, the refusal last.
public struct RequestTrace: Hashable, Sendable, CustomStringConvertible {
    /// One parser event; body chunks of one request are merged, since where they split depends on the feeding.
    public enum Event: Hashable, Sendable {
        case head(RequestHead)
        case body([UInt8])
        case end
    }

    public var events: [Event] = []
    /// What `next(_:)` or `finish()` threw, if anything; nothing is read after it.
    public var error: WireError?

    /// Feeds `pieces` to a fresh parser the way NIO's `ByteToMessageDecoder` does (unconsumed bytes stay in a
    /// cumulation buffer, new ones are appended), then calls `finish()`.
    public static func parse(_ pieces: [ArraySlice<UInt8>], limits: RequestLimits = .init()) -> RequestTrace {
        var parser = RequestParser(limits: limits)
        var buffer = ByteBuffer()
        var trace = RequestTrace()
        do throws(WireError) {
            for piece in pieces {
                buffer.writeBytes(piece)
                while let event = try parser.next(&buffer) {
                    trace.append(event)
                }
                buffer.discardReadBytes()
            }
            try parser.finish()
        } catch {
            trace.error = error
        }
        return trace
    }

    public static func parse(_ bytes: [UInt8], limits: RequestLimits = .init()) -> RequestTrace {
        parse([bytes[...]], limits: limits)
    }

    /// Whether the parser refused the input (as a 4xx/505, or HTTP/0.9's silent close).
    public var isRefused: Bool { error != nil }

    private mutating func append(_ event: RequestEvent) {
        switch event {
        case .head(let head):
            events.append(.head(head))
        case .body(let chunk):
            let bytes = Array(chunk.readableBytesView)
            if case .body(let earlier) = events.last {
                events[events.count - 1] = .body(earlier + bytes)
            } else {
                events.append(.body(bytes))
            }
        case .end:
            events.append(.end)
        }
    }

    public var description: String {
        var lines = events.map { event in
            switch event {
            case .head(let head): "head(\(head.method) \(head.target) \(head.version) \(head.headers))"
            case .body(let bytes): "body(\(bytes.count) bytes)"
            case .end: "end"
            }
        }
        if let error { lines.append("error(\(error))") }
        return lines.joined(separator: ", ")
    }
}

/// The request parser's properties, checked on any input.
enum RequestParserChecks {
    /// Limits small enough for short fuzz inputs to reach every limit's refusal.
    static let smallLimits = RequestLimits(
        maxRequestLineBytes: 64,
        maxHeaderBytes: 256,
        maxHeaderCount: 6,
        maxChunkExtensionBytes: 24
    )

    /// Under default limits for inputs of even length and small ones for odd (each gets half the executions, at half
    /// the cost of checking both): fed whole or split as `Cuts.splits` splits, the parser reads the same; every
    /// request's body matches its framing; a request cut short is refused; every head it accepts, written out again,
    /// reads back as the same head. Returns the trace of the input fed whole.
    @discardableResult
    static func check(_ bytes: [UInt8]) throws(InvariantViolation) -> RequestTrace {
        let limits = bytes.count.isMultiple(of: 2) ? RequestLimits() : smallLimits
        let whole = RequestTrace.parse(bytes, limits: limits)
        for plan in Cuts.splits(of: bytes) {
            try InvariantViolation.expectEqual(RequestTrace.parse(plan, limits: limits), whole, "split feed")
        }
        try checkFraming(whole)
        for case .head(let head) in whole.events {
            let again = RequestTrace.parse(serialised(head), limits: limits)
            try InvariantViolation.expectEqual(again.events.first, .head(head), "head written out again")
        }
        return whole
    }

    /// Each head is followed by body bytes that fit its framing, then `.end`; an unfinished request ends in a refusal.
    private static func checkFraming(_ trace: RequestTrace) throws(InvariantViolation) {
        var open: (framing: BodyFraming, bodyBytes: Int64)?
        for event in trace.events {
            switch (event, open) {
            case (.head(let head), nil):
                open = (head.framing, 0)
            case (.body(let bytes), (let framing, let count)?):
                guard framing != .none else { throw InvariantViolation("framing", "a body without framing: \(trace)") }
                open = (framing, count + Int64(bytes.count))
            case (.end, (let framing, let count)?):
                if case .length(let length) = framing, length != count {
                    throw InvariantViolation("framing", "Content-Length \(length), \(count) body bytes: \(trace)")
                }
                open = nil
            default:
                throw InvariantViolation("event order", "\(trace)")
            }
        }
        if open != nil, trace.error == nil {
            throw InvariantViolation("truncation", "an unfinished request was not refused: \(trace)")
        }
    }

    /// `head` as the shortest request head that says the same: single spaces, fields as `name:value`. Never longer
    /// than what the parser read it from, so it fits the same limits.
    static func serialised(_ head: RequestHead) -> [UInt8] {
        var text = "\(head.method) \(head.target) HTTP/\(head.version.major).\(head.version.minor)\r\n"
        for (name, value) in head.headers {
            text += "\(name):\(value)\r\n"
        }
        text += "\r\n"
        return Array(text.utf8)
    }
}

/// The chunked decoder's properties: the input is a chunked body behind a fixed head.
enum ChunkedBodyChecks {
    /// The head every chunked-body input is appended to.
    static let head = Array("POST /v1/files HTTP/1.1\r\nHost: fuzz\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)

    /// The request parser's properties, and: a body the decoder accepts, chunked again by `ChunkedEncoding` in
    /// pieces of 7 bytes, decodes to the same bytes.
    static func check(_ bytes: [UInt8]) throws(InvariantViolation) {
        let trace = try RequestParserChecks.check(head + bytes)
        guard trace.events.count >= 2, case .head = trace.events[0] else { return }
        let body: [UInt8]
        switch (trace.events[1], trace.events.count > 2 ? trace.events[2] : nil) {
        case (.end, _): body = []
        case (.body(let bytes), .end?): body = bytes
        default: return
        }
        var encoded = ByteBuffer(bytes: head)
        var rest = ByteBuffer(bytes: body)
        while let piece = rest.readSlice(length: min(7, rest.readableBytes)), piece.readableBytes > 0 {
            ChunkedEncoding.writeChunk(piece, into: &encoded)
        }
        ChunkedEncoding.writeLastChunk(into: &encoded)
        let again = RequestTrace.parse(Array(encoded.readableBytesView))
        let expected: [RequestTrace.Event] =
            body.isEmpty ? [trace.events[0], .end] : [trace.events[0], .body(body), .end]
        try InvariantViolation.expectEqual(again.events, expected, "chunked again")
        try InvariantViolation.expectEqual(again.error, nil, "chunked again")
    }
}
