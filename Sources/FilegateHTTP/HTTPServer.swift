import FilegateCore
public import FilegateGateway
public import FilegateWire
public import Logging
import NIOCore
public import NIOPosix
public import ServiceLifecycle

/// The listener: binds one port, runs a task per connection, stops accepting on graceful shutdown.
///
/// Past `maxConnections` a new connection is not served but answered 503 by an `OverloadRefusalHandler`.
public struct HTTPServer: Service {
    /// A connection as accepted: served by a task, or left to the handler refusing it.
    private enum Accepted: Sendable {
        case served(AcceptedConnection)
        case refused
    }

    /// Per-connection inbound buffering in parser events (each at most one socket read): the socket is not read
    /// while this many wait for the gateway.
    static let inboundWatermarks = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(
        lowWatermark: 2,
        highWatermark: 8
    )

    /// Socket reads grow up to 256 KiB (NIO's default stops at 64 KiB) while a client streams a body, so an upload
    /// passes the parser, the multipart rewriter and the upload queue in a quarter of the chunks: a 1 GiB upload
    /// took 143 CPU ticks where it took 165 (medians of 8, filegate on one CPU). Reads start at 2 KiB and grow only
    /// when they come back full, so small requests keep small buffers. With `inboundWatermarks`, a body the gateway
    /// is not reading holds at most 8 reads, 2 MiB, where it held 512 KiB. Each read gets a buffer of its own, freed
    /// once its bytes are handled (`FreshRecvBufferAllocator`).
    static let receiveAllocator = FreshRecvBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024)

    /// One read per readiness event (NIO's default is 4). A channel keeps the first this many buffers it reads into;
    /// with one, that is the first read's 2 KiB, never one an upload grew.
    static let maxMessagesPerRead: UInt = 1

    /// What filegate buffers for one client before its writes wait (NIO's default is 32/64 KiB).
    ///
    /// A download's bytes come in batches of up to 512 KiB (the remote backend gathers curl's 16 KiB callbacks,
    /// issue 3's notes): the low mark is one batch, so a writer resumes when a whole batch fits, and the high mark
    /// two. A client that stops reading holds at most the high mark plus the one batch being written, 1.5 MiB,
    /// until `send_timeout_seconds` cuts it. With four batches (2 MiB) it held 1 MiB more, for no throughput: the
    /// next batches wait in the download queue or the local store anyway (1 GiB downloads, interleaved, within noise).
    static let writeBufferWatermarks = ChannelOptions.Types.WriteBufferWaterMark(
        low: 512 * 1024,
        high: 1024 * 1024
    )

    /// Connections the kernel completes and queues while every event loop is busy (capped by
    /// `net.core.somaxconn`, 4096 by default since Linux 5.4). Past the queue the kernel drops a client's SYN and the
    /// client waits a second for its retransmission: with 256, a burst of 300 connects to a busy debug build lost
    /// some, and connections opened a second earlier sat unused past the header timeout (a CI failure).
    static let listenBacklog: Int32 = 4096

    private let host: String
    private let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let requestLimits: RequestLimits
    private let connectionTimeouts: ConnectionTimeouts
    private let maxConnections: Int
    private let closedConnectionLogLevel: Logger.Level
    private let logger: Logger
    private let makeGateway: @Sendable (_ boundURL: String) async throws -> Gateway

    /// - Parameters:
    ///   - accessLog: whether each closed connection gets an info line (`access_log`), or a debug one.
    ///   - makeGateway: called once bound, with `http://host:port` as bound (port 0 resolved).
    public init(
        host: String,
        port: Int,
        group: MultiThreadedEventLoopGroup,
        requestLimits: RequestLimits = RequestLimits(),
        connectionTimeouts: ConnectionTimeouts = ConnectionTimeouts(),
        maxConnections: Int = 4096,
        accessLog: Bool = true,
        logger: Logger,
        makeGateway: @escaping @Sendable (_ boundURL: String) async throws -> Gateway
    ) {
        self.host = host
        self.port = port
        self.group = group
        self.requestLimits = requestLimits
        self.connectionTimeouts = connectionTimeouts
        self.maxConnections = maxConnections
        self.closedConnectionLogLevel = accessLog ? .info : .debug
        self.logger = logger
        self.makeGateway = makeGateway
    }

    public func run() async throws {
        OpenFilesLimit.raise(maxConnections: maxConnections, logger: logger)
        let limits = requestLimits
        let timeouts = connectionTimeouts
        let logger = self.logger
        let closedConnectionLogLevel = self.closedConnectionLogLevel
        let connectionLimit = ConnectionLimit(maxConnections: maxConnections, logger: logger)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: Self.listenBacklog)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: Self.writeBufferWatermarks)
            .childChannelOption(.recvAllocator, value: Self.receiveAllocator)
            .childChannelOption(.maxMessagesPerRead, value: Self.maxMessagesPerRead)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    switch connectionLimit.admit() {
                    case .serve:
                        let timer = ConnectionTimer(channel: channel, timeouts: timeouts, logger: logger)
                        try channel.pipeline.syncOperations.addHandlers(
                            LingeringCloseHandler(timeouts: timeouts),
                            OutboundBytesGauge(logger: logger, level: closedConnectionLogLevel),
                            ByteToMessageHandler(RequestDecoder(limits: limits, timer: timer))
                        )
                        let async = try NIOAsyncChannel<RequestEvent, ByteBuffer>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: Self.inboundWatermarks)
                        )
                        return Accepted.served(AcceptedConnection(channel: async, timer: timer))
                    case .refuse:
                        channel.closeFuture.whenComplete { _ in connectionLimit.refusalEnded() }
                        try channel.pipeline.syncOperations.addHandler(
                            OverloadRefusalHandler(limits: limits, answer: Self.overloadAnswer)
                        )
                        return Accepted.refused
                    case .close:
                        try channel.pipeline.syncOperations.addHandler(CloseWhenActiveHandler())
                        return Accepted.refused
                    }
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        let boundURL = "http://" + (host.contains(":") ? "[\(host)]" : host) + ":\(boundPort)"
        let gateway = try await makeGateway(boundURL)
        logger.info("listening on \(boundURL)", metadata: [LogKey.listenAddress: "\(boundURL)"])
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await case .served(let connection) in connections {
                        guard let channel = connection.take() else { continue }
                        let timer = connection.timer
                        group.addTask(executorPreference: EventLoopTaskExecutor(channel.channel.eventLoop)) {
                            await HTTPConnection(gateway: gateway, timer: timer, logger: logger).run(channel)
                            connectionLimit.connectionEnded()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        logger.info("stopped listening")
    }

    /// The answer to a connection past `max_connections`: 503, `Retry-After: 1`, in the OpenAI shape (no request
    /// was read far enough to know its dialect), closing the connection. Made once, with no request id and no log
    /// line of its own: `ConnectionLimit` logs the connections turned away.
    static let overloadAnswer: ByteBuffer = {
        var response = Gateway.renderWithoutRequest(
            GatewayError(.unavailable, "The server is busy; please retry shortly.", retryAfterSeconds: 1)
        )
        response.headers.replaceOrAdd(name: "Connection", value: "close")
        var buffer = ByteBuffer()
        var body = ByteBuffer()
        if case .buffer(let content) = response.content { body = content }
        response.headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
        ResponseHead(status: response.status, headers: response.headers).write(into: &buffer)
        buffer.writeBuffer(&body)
        return buffer
    }()
}
