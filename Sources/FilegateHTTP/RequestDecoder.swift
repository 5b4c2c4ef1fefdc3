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

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let event = try parser.next(&buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(event))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while let event = try parser.next(&buffer) {
            context.fireChannelRead(wrapInboundOut(event))
        }
        if seenEOF { try parser.finish() }
        return .needMoreData
    }
}
