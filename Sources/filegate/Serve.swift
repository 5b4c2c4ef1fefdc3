import ArgumentParser
import FilegateCore
import FilegateGateway
import FilegateHTTP
import FilegateLocal
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `filegate serve --config PATH`: builds the backends and the gateway from the config and runs them until SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @Option(help: "Path of the JSON config file.")
    var config: String

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "filegate")
        let settings = try ConfigLoader.load(path: config)
        signal(SIGPIPE, SIG_IGN)

        let threadPool = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        threadPool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        defer {
            try? group.syncShutdownGracefully()
            try? threadPool.syncShutdownGracefully()
        }

        var localBackends: [String: LocalBackend] = [:]
        for backend in settings.backends {
            guard case .local(let directory) = backend.location else {
                logger.warning("backend '\(backend.name)' (\(backend.kind.rawValue)): forwarding to remote kinds is not served yet")
                continue
            }
            localBackends[backend.name] = try await LocalBackend(
                directory: directory,
                purposes: backend.purposes ?? Purpose.creatable,
                expiresAfterRange: backend.expiresAfterRange ?? LocalBackend.defaultExpiresAfterRange,
                threadPool: threadPool,
                logger: logger
            )
        }
        var routes: [String: Gateway.Route] = [:]
        for client in settings.clients {
            guard let backend = localBackends[client.defaultBackend],
                let backendConfig = settings.backends.first(where: { $0.name == client.defaultBackend })
            else {
                logger.critical(
                    "client '\(client.name)': default_backend '\(client.defaultBackend)' is a remote backend, which this version cannot forward to"
                )
                throw ExitCode(1)
            }
            routes[client.name] = Gateway.Route(
                backendName: client.defaultBackend,
                backend: backend,
                defaultExpiresAfterSeconds: backendConfig.defaultExpiresAfterSeconds
            )
        }
        let spool = try await FilePartSpool(directory: settings.stateDirectory + "/spool", threadPool: threadPool)
        let keyring = ClientKeyring(clients: settings.clients)
        let server = HTTPServer(host: settings.listen.host, port: settings.listen.port, group: group, logger: logger) {
            boundURL in
            Gateway(
                keyring: keyring,
                routes: routes,
                settings: Gateway.Settings(
                    publicBaseURL: settings.givenPublicBaseURL ?? boundURL,
                    maxUploadBytes: settings.maxUploadBytes
                ),
                spool: spool,
                logger: logger
            )
        }
        let services: [any Service] = [server] + Array(localBackends.values)
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await serviceGroup.run()
    }
}
