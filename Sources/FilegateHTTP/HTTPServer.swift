import FilegateCore
public import FilegateGateway
public import FilegateWire
public import Logging
import NIOCore
public import NIOPosix
public import ServiceLifecycle

/// The listener: binds one port, runs a task per connection, stops accepting on graceful shutdown.
public struct HTTPServer: Service {
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
    private let logger: Logger
    private let makeGateway: @Sendable (_ boundURL: String) async throws -> Gateway

    /// - Parameter makeGateway: called once bound, with `http://host:port` as bound (port 0 resolved).
    public init(
        host: String,
        port: Int,
        group: MultiThreadedEventLoopGroup,
        requestLimits: RequestLimits = RequestLimits(),
        logger: Logger,
        makeGateway: @escaping @Sendable (_ boundURL: String) async throws -> Gateway
    ) {
        self.host = host
        self.port = port
        self.group = group
        self.requestLimits = requestLimits
        self.logger = logger
        self.makeGateway = makeGateway
    }

    public func run() async throws {
        let limits = requestLimits
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RequestDecoder(limits: limits)))
                    return try NIOAsyncChannel<RequestEvent, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(backPressureStrategy: Self.inboundWatermarks)
                    )
                }
            }
        let boundPort = server.channel.localAddress?.port ?? port
        let boundURL = "http://" + (host.contains(":") ? "[\(host)]" : host) + ":\(boundPort)"
        let gateway = try await makeGateway(boundURL)
        logger.info("listening on \(boundURL)", metadata: [LogKey.listenAddress: "\(boundURL)"])
        let logger = self.logger
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        let executor = EventLoopTaskExecutor(connection.channel.eventLoop)
                        group.addTask(executorPreference: executor) {
                            await HTTPConnection(gateway: gateway, logger: logger).run(connection)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        logger.info("stopped listening")
    }
}
