import ArgumentParser
import CFilegateSystem
import FilegateCore
import FilegateDialects
import FilegateGateway
import FilegateHTTP
import FilegateLocal
import FilegateRemote
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// `filegate serve --config PATH`: builds the backends and the gateway from the config and runs them until SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway.")

    @Option(help: "The JSON config file.")
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
        // File bodies pass through 512 KiB buffers allocated on one thread and freed on another; with glibc's
        // default of 8 arenas per core each thread's arena keeps its own freed buffers, and three 1 GiB rounds
        // each way peaked at 60 MiB RSS. Two arenas: 38 MiB, same throughput (notes of issue 3, `make bench`).
        _ = fg_malloc_limit_arenas(2)
        // Body batches (512 KiB) are above glibc's 128 KiB mmap threshold, and the heap is trimmed above 128 KiB
        // free: each batch was fresh memory, faulted in page by page (160,000 faults per GiB downloaded) and
        // handed back after its write. Kept in the heap they are reused (1 GiB download: 1.5 → 1.1 CPU s). The
        // heap keeps 8 MiB free at its top: with 16 MiB, peak RSS of a 1 GiB download was 55 MiB, with 8 MiB
        // 49 MiB, faults and CPU the same within the noise.
        _ = fg_malloc_keep_buffers(4 * 1024 * 1024, 8 * 1024 * 1024)

        let cpus = Self.usableCPUCount()
        let threadPool = NIOThreadPool(numberOfThreads: max(2, cpus))
        threadPool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: cpus)
        do {
            try await serve(settings, threadPool: threadPool, group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            try? await threadPool.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
        try await threadPool.shutdownGracefully()
    }

    /// The CPUs filegate may run on: NIO's `System.coreCount` (online CPUs, bounded by a cgroup quota) further
    /// bounded by the affinity mask, so `taskset` or systemd's `CPUAffinity=` does not leave two event loops
    /// taking turns on one CPU.
    private static func usableCPUCount() -> Int {
        let allowed = Int(fg_affinity_cpu_count())
        return allowed > 0 ? min(allowed, System.coreCount) : System.coreCount
    }

    private func serve(
        _ settings: GatewayConfig,
        threadPool: NIOThreadPool,
        group: MultiThreadedEventLoopGroup,
        logger: Logger
    ) async throws {
        let curl = CurlLoop(logger: logger, maxOpenConnections: Self.upstreamTransferLimit(settings))
        var backends: [String: any Backend] = [:]
        var services: [any Service] = [curl, HeapTrimmer()]
        for backend in settings.backends {
            switch backend.location {
            case .local(let directory):
                var backendLogger = logger
                backendLogger[metadataKey: LogKey.backend] = "\(backend.name)"
                let local = try await LocalBackend(
                    directory: directory,
                    purposes: backend.purposes ?? Purpose.creatable,
                    expiresAfterRange: backend.expiresAfterRange ?? LocalBackend.defaultExpiresAfterRange,
                    threadPool: threadPool,
                    logger: backendLogger
                )
                backends[backend.name] = local
                services.append(local)
            case .remote(let remote):
                backends[backend.name] = RemoteBackend(configuration: remoteConfiguration(backend, remote), curl: curl)
            }
        }
        let routes = try self.routes(settings, backends: backends)
        let spool = try await FilePartSpool(directory: settings.stateDirectory + "/spool", threadPool: threadPool)
        let keyring = ClientKeyring(clients: settings.clients)
        let server = HTTPServer(
            host: settings.listen.host,
            port: settings.listen.port,
            group: group,
            requestLimits: settings.requestLimits,
            connectionTimeouts: settings.connectionTimeouts,
            maxConnections: settings.maxConnections,
            accessLog: settings.accessLog,
            logger: logger
        ) { boundURL in
            Gateway(
                keyring: keyring,
                routes: routes,
                settings: Gateway.Settings(
                    publicBaseURL: settings.givenPublicBaseURL ?? boundURL,
                    otherURLs: [boundURL],
                    accessLog: settings.accessLog
                ),
                spool: spool,
                logger: logger
            )
        }
        services.append(server)
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await serviceGroup.run()
    }

    /// How many upstream transfers may run at once: the remote backends' `max_upstream_connections` together, so
    /// curl keeps every connection those transfers use open for the next (at least one).
    private static func upstreamTransferLimit(_ settings: GatewayConfig) -> Int {
        let limits = settings.backends.map { backend in
            guard case .remote(let remote) = backend.location else { return 0 }
            return remote.maxUpstreamConnections
        }
        return max(1, limits.reduce(0, +))
    }

    /// A remote backend's settings in the terms `RemoteBackend` speaks: its dialect and defaults resolved.
    private func remoteConfiguration(
        _ backend: BackendConfig,
        _ remote: RemoteBackendConfig
    ) -> RemoteBackend.Configuration {
        RemoteBackend.Configuration(
            name: backend.name,
            dialect: remote.dialect,
            endpoint: remote.endpoint,
            apiKey: remote.apiKey,
            organization: remote.organization,
            project: remote.project,
            purposes: backend.purposes ?? remote.dialect.profile.createPurposes,
            expiresAfterRange: backend.expiresAfterRange,
            connectTimeout: .seconds(remote.connectTimeoutSeconds),
            firstByteTimeout: .seconds(remote.firstByteTimeoutSeconds),
            caFile: remote.caFile,
            maxListEntries: remote.maxListEntries,
            maxUpstreamConnections: remote.maxUpstreamConnections,
            upstreamQueueTimeout: .seconds(remote.upstreamQueueTimeoutSeconds)
        )
    }

    /// Each client's requests go to its `default_backend` until file ids are routed.
    private func routes(_ settings: GatewayConfig, backends: [String: any Backend]) throws -> [String: Gateway.Route] {
        var routes: [String: Gateway.Route] = [:]
        for client in settings.clients {
            guard let backend = backends[client.defaultBackend],
                let backendConfig = settings.backends.first(where: { $0.name == client.defaultBackend })
            else { throw ExitCode.failure }
            routes[client.name] = Gateway.Route(
                backendName: client.defaultBackend,
                backend: backend,
                defaultExpiresAfterSeconds: backendConfig.defaultExpiresAfterSeconds,
                maxUploadBytes: backendConfig.maxUploadBytes
            )
        }
        return routes
    }
}
