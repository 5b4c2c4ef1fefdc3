import FilegateCore
import Logging
import NIOCore

/// Records the most bytes a connection held for its client at once (written, not yet taken by the socket) and
/// logs it when the connection closes, as `filegate.peak_outbound_bytes` beside the client's `filegate.peer`: at
/// info with `access_log` on, at debug with it off, where a line per connection is what the operator turned off.
///
/// What a client that stops reading costs is bounded by the channel's write-buffer watermarks (the connection's task
/// suspends its writes above the high mark): this makes that bound observable, for the tests and for operators.
/// Sampled after each write, before the flush, when the buffered amount is largest.
final class OutboundBytesGauge: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private let logger: Logger
    private let level: Logger.Level
    private var peak = 0
    /// Looked up once rather than per write: `syncOptions` makes a new existential on every call.
    private var options: (any NIOSynchronousChannelOptions)?

    init(logger: Logger, level: Logger.Level) {
        self.logger = logger
        self.level = level
    }

    func handlerAdded(context: ChannelHandlerContext) {
        options = context.channel.syncOptions
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        context.write(data, promise: promise)
        if let buffered = try? options?.getOption(.bufferedWritableBytes), buffered > peak {
            peak = buffered
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        var metadata: Logger.Metadata = [LogKey.peakOutboundBytes: "\(peak)"]
        if let address = context.channel.remoteAddress, let ip = address.ipAddress, let port = address.port {
            metadata[LogKey.peer] = "\(ip):\(port)"
        }
        logger.log(level: level, "connection closed", metadata: metadata)
        context.fireChannelInactive()
    }
}
