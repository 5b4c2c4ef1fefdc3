import FilegateWire
import NIOCore

/// Feeds socket bytes through filegate's own strict HTTP/1.1 parser (FilegateWire's `RequestParser`).
///
/// DESIGN.md "Dependencies": NIO's llhttp-based decoder accepts framing filegate must refuse, so NIO carries only bytes.
struct RequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = RequestEvent

    private var parser: RequestParser

    init(limits: RequestLimits) {
        self.parser = RequestParser(limits: limits)
    }

    /// Drains every event the buffered bytes complete: the parser may owe an `.end` with no bytes left, which
    /// NIO would not ask for until more bytes arrived.
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        while let event = try parser.next(&buffer) {
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
