import FilegateWire
import NIOCore

/// Answers a connection accepted past `max_connections` (issue 5 point 7): reads its request head for up to
/// `headTimeout`, answers 503 with `Retry-After` and `Connection: close`, then closes, lingering.
///
/// Lingering: after the answer its sending side is shut, and whatever still comes is read and dropped for at most
/// `lingerTime` and `lingerBytes`, so a client still sending reads the answer rather than a reset. The handler works
/// on the event loop with its own timers, first in a pipeline of its own: such a connection costs no task, never
/// reaches the gateway, and is never left hanging.
final class OverloadRefusalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let headTimeout = TimeAmount.seconds(1)
    static let lingerTime = TimeAmount.seconds(1)
    static let lingerBytes = 256 * 1024

    /// `readingHead` → `lingering` (answered) → `closed`; `readingHead` → `closed` when the client leaves first.
    private enum State {
        case readingHead(RequestParser)
        case lingering(bytesLeft: Int)
        case closed
    }

    private var state: State
    private var timer: Scheduled<Void>?
    /// The whole answer, status line to body.
    private let answer: ByteBuffer

    init(limits: RequestLimits, answer: ByteBuffer) {
        self.state = .readingHead(RequestParser(limits: limits))
        self.answer = answer
    }

    func handlerAdded(context: ChannelHandlerContext) {
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.headTimeout) {
            self.respond(context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        switch state {
        case .readingHead(var parser):
            do {
                while let event = try parser.next(&bytes) {
                    if case .head = event {
                        respond(context: context)
                        return
                    }
                }
                state = .readingHead(parser)
            } catch {
                respond(context: context)
            }
        case .lingering(let bytesLeft):
            let left = bytesLeft - bytes.readableBytes
            if left > 0 {
                state = .lingering(bytesLeft: left)
            } else {
                close(context: context)
            }
        case .closed:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close(context: context)
    }

    /// Sends the answer once, shuts the sending side after it, and starts the lingering read.
    private func respond(context: ChannelHandlerContext) {
        guard case .readingHead = state else { return }
        timer?.cancel()
        state = .lingering(bytesLeft: Self.lingerBytes)
        context.writeAndFlush(wrapOutboundOut(answer)).assumeIsolated().whenComplete { _ in
            context.close(mode: .output, promise: nil)
        }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingerTime) {
            self.close(context: context)
        }
    }

    private func close(context: ChannelHandlerContext) {
        if case .closed = state { return }
        state = .closed
        timer?.cancel()
        context.close(promise: nil)
    }
}

/// Closes a connection as soon as it is active: past both `max_connections` and the connections being refused.
///
/// Closing from the child initializer would make NIO's registration of the closed channel fail as an error on the
/// listening socket; once active, a close is an ordinary one.
final class CloseWhenActiveHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }
}
