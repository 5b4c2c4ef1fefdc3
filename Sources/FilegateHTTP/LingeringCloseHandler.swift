import FilegateGateway
import NIOCore

/// Closes a connection as issue 5 point 4 asks: once filegate's last answer is flushed its side is shut
/// (`shutdown(SHUT_WR)`, so the client reads the answer, then end of file), and what the client still sends is read
/// and dropped until it closes too, for at most `lingering_close_seconds` and `lingering_close_bytes`.
///
/// Closing a socket with unread bytes makes the kernel send a reset, which can destroy the answer in the client's
/// receive buffer before the client reads it (RFC 9112 §9.6): a client still sending a body it was refused would
/// see "connection reset" instead of the 401 or 413. Sits at the socket end of the pipeline, so the drain bypasses
/// the parser and the async channel's backpressure. Begun by `Begin` sent as an outbound user event, whose promise
/// completes when the connection is closed.
final class LingeringCloseHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Shut filegate's side once the answer is flushed, drain, then close.
    struct Begin: Sendable {}

    /// Passing → flushing → draining → closed; passing or flushing → closed when the connection ends first.
    private enum State {
        /// Bytes go to the parser.
        case passing
        /// The answer is still being written (bounded by the send timeout); what arrives is dropped.
        case flushing
        /// Filegate's side is shut; what arrives is dropped until end of file or a limit.
        case draining
        case closed
    }

    private let timeouts: ConnectionTimeouts
    private var state = State.passing
    private var discarded = 0
    private var deadline: Scheduled<Void>?
    private var closed: EventLoopPromise<Void>?

    init(timeouts: ConnectionTimeouts) {
        self.timeouts = timeouts
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .passing = state else {
            discarded += unwrapInboundIn(data).readableBytes
            if discarded > timeouts.lingeringCloseBytes { context.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch state {
        case .passing, .closed: context.fireChannelReadComplete()
        case .flushing, .draining: context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closed
        deadline?.cancel()
        deadline = nil
        closed?.succeed()
        closed = nil
        context.fireChannelInactive()
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is Begin else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        guard case .passing = state, context.channel.isActive else {
            if let closed {
                closed.futureResult.cascade(to: promise)
            } else {
                promise?.succeed()
            }
            return
        }
        closed = promise ?? context.eventLoop.makePromise()
        state = .flushing
        context.read()
        closeAfter(timeouts.send, context: context)
        let outputClosed = context.eventLoop.makePromise(of: Void.self)
        outputClosed.futureResult.assumeIsolated().whenComplete { result in
            guard case .flushing = self.state else { return }
            switch result {
            case .success:
                self.state = .draining
                self.closeAfter(self.timeouts.lingeringClose, context: context)
            case .failure:
                context.close(promise: nil)
            }
        }
        context.close(mode: .output, promise: outputClosed)
    }

    /// Replaces the running limit with a close after `duration`.
    private func closeAfter(_ duration: Duration, context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(duration)) {
            context.close(promise: nil)
        }
    }
}
