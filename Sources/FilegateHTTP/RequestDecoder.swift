import FilegateWire
import NIOCore

/// Feeds socket bytes through filegate's own strict HTTP/1.1 parser (FilegateWire's `RequestParser`).
///
/// DESIGN.md "Dependencies": NIO's llhttp-based decoder accepts framing filegate must refuse, so NIO carries only bytes.
/// It also tells the connection's timer where each head begins and ends, which only the parser sees.
struct RequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = RequestEvent

    private var parser: RequestParser
    private let timer: ConnectionTimer
    /// No byte of the next head has come since the last request's end (or the connection's start).
    private var betweenRequests = true

    init(limits: RequestLimits, timer: ConnectionTimer) {
        self.parser = RequestParser(limits: limits)
        self.timer = timer
    }

    /// Drains every event the buffered bytes complete: the parser may owe an `.end` with no bytes left, which
    /// NIO would not ask for until more bytes arrived.
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while true {
            if betweenRequests, buffer.readableBytes > 0 {
                betweenRequests = false
                timer.headStarted()
            }
            guard let event = try parser.next(&buffer) else { break }
            switch event {
            case .head: timer.headCompleted()
            case .body: break
            case .end:
                betweenRequests = true
                timer.bodyEnded()
            }
            context.fireChannelRead(wrapInboundOut(event))
        }
        return .needMoreData
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        _ = try decode(context: context, buffer: &buffer)
        if seenEOF { try parser.finish() }
        return .needMoreData
    }
}
