import FilegateCore
public import FilegateWire
import NIOCore

/// What `MultipartParser` made of one body, in comparable form: each part's data merged, the refusal last.
public struct MultipartTrace: Hashable, Sendable, CustomStringConvertible {
    /// One parser event; a part's data chunks are merged, since where they split depends on the feeding.
    public enum Event: Hashable, Sendable {
        /// A part's head, and how many body bytes the parser had consumed when it returned it.
        case partHead(MultipartPartHead, consumed: Int)
        case partBody([UInt8])
        /// A part's end, and the bytes consumed by then (its closing delimiter included).
        case partEnd(consumed: Int)
        case end
    }

    public var events: [Event] = []
    /// The message of what `next(_:)` or `finish()` threw, if anything.
    public var error: String?

    /// Feeds `pieces` to a fresh parser through a cumulation buffer, then calls `finish()`.
    public static func parse(
        _ pieces: [ArraySlice<UInt8>],
        boundary: String,
        limits: MultipartLimits = .init()
    ) -> MultipartTrace {
        var parser = MultipartParser(boundary: boundary, limits: limits)
        var buffer = ByteBuffer()
        var consumedBefore = 0
        var trace = MultipartTrace()
        do throws(GatewayError) {
            for piece in pieces {
                buffer.writeBytes(piece)
                while let event = try parser.next(&buffer) {
                    trace.append(event, consumed: consumedBefore + buffer.readerIndex)
                }
                consumedBefore += buffer.readerIndex
                buffer.discardReadBytes()
            }
            try parser.finish()
        } catch {
            trace.error = error.message
        }
        return trace
    }

    private mutating func append(_ event: MultipartEvent, consumed: Int) {
        switch event {
        case .partHead(let head):
            events.append(.partHead(head, consumed: consumed))
        case .partBody(let chunk):
            let bytes = Array(chunk.readableBytesView)
            if case .partBody(let earlier) = events.last {
                events[events.count - 1] = .partBody(earlier + bytes)
            } else {
                events.append(.partBody(bytes))
            }
        case .partEnd:
            events.append(.partEnd(consumed: consumed))
        case .end:
            events.append(.end)
        }
    }

    public var description: String {
        var lines = events.map { event in
            switch event {
            case .partHead(let head, let consumed):
                "partHead(\(head.name), \(head.filename ?? "-"), \(head.contentType ?? "-"), at \(consumed))"
            case .partBody(let bytes): "partBody(\(bytes.count) bytes)"
            case .partEnd(let consumed): "partEnd(at \(consumed))"
            case .end: "end"
            }
        }
        if let error { lines.append("error(\(error))") }
        return lines.joined(separator: ", ")
    }
}
