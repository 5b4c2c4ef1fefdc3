import FilegateCore
public import FilegateGateway
public import FilegateWire
public import Logging
import NIOConcurrencyHelpers
import NIOCore
public import NIOPosix
public import ServiceLifecycle

/// The listener: binds one port, runs a task per connection, stops accepting on graceful shutdown.
///
/// Past `maxConnections` a new connection is not served but answered 503 by an `OverloadRefusalHandler`.
public struct HTTPServer: Service {
    /// A connection as accepted: served by a task, or left to the handler refusing it.
    private enum Accepted: Sendable {
        case served(NIOAsyncChannel<RequestEvent, ByteBuffer>)
        case refused
    }

    /// Per-connection inbound buffering in parser events (each at most one socket read): the socket is not read
    /// while this many wait for the gateway.
    static let inboundWatermarks = NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(
        lowWatermark: 2,
        highWatermark: 8
    )

    private let host: String
    private let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let requestLimits: RequestLimits
    private let maxConnections: Int
    private let logger: Logger
    private let makeGateway: @Sendable (_ boundURL: String) async throws -> Gateway

    /// - Parameter makeGateway: called once bound, with `http://host:port` as bound (port 0 resolved).
    public init(
        host: String,
        port: Int,
        group: MultiThreadedEventLoopGroup,
        requestLimits: RequestLimits = RequestLimits(),
        maxConnections: Int = 4096,
        logger: Logger,
        makeGateway: @escaping @Sendable (_ boundURL: String) async throws -> Gateway
    ) {
        self.host = host
        self.port = port
        self.group = group
        self.requestLimits = requestLimits
        self.maxConnections = maxConnections
        self.logger = logger
        self.makeGateway = makeGateway
    }

    public func run() async throws {
        OpenFilesLimit.raise(maxConnections: maxConnections, logger: logger)
        let limits = requestLimits
        let connectionLimit = ConnectionLimit(maxConnections: maxConnections)
        // Set once the gateway exists; a connection refused before that is closed without an answer.
        let refusalGateway = NIOLockedValueBox<Gateway?>(nil)
        let refusal: @Sendable () -> ByteBuffer? = {
            refusalGateway.withLockedValue { $0 }.map(Self.overloadAnswer)
        }
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    switch connectionLimit.admit() {
                    case .serve:
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(RequestDecoder(limits: limits))
                        )
                        return Accepted.served(
                            try NIOAsyncChannel<RequestEvent, ByteBuffer>(
                                wrappingChannelSynchronously: channel,
                                configuration: .init(backPressureStrategy: Self.inboundWatermarks)
                            )
                        )
                    case .refuse:
                        channel.closeFuture.whenComplete { _ in connectionLimit.refusalEnded() }
                        try channel.pipeline.syncOperations.addHandler(
                            OverloadRefusalHandler(limits: limits, answer: refusal)
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
        refusalGateway.withLockedValue { $0 = gateway }
        logger.info("listening on \(boundURL)", metadata: [LogKey.listenAddress: "\(boundURL)"])
        let logger = self.logger
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await case .served(let connection) in connections {
                        let executor = EventLoopTaskExecutor(connection.channel.eventLoop)
                        group.addTask(executorPreference: executor) {
                            await HTTPConnection(gateway: gateway, logger: logger).run(connection)
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
    /// was read far enough to know its dialect), closing the connection.
    static func overloadAnswer(_ gateway: Gateway) -> ByteBuffer {
        var response = gateway.render(
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
    }
}
