import FilegateCore
import FilegateGateway
import FilegateHTTP
import FilegateWire
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The listener on 127.0.0.1 with raw bytes on a real socket: keep-alive, refusals, `100 Continue`, cut bodies.
@Suite struct HTTPServerTests {
    static let key = "fg-http-key"

    /// Runs a listener on `group` (shut down after) whose gateway routes the one client to `backend`, and gives
    /// `body` its port.
    static func withServer(
        backend: any Backend,
        group: MultiThreadedEventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1),
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let spoolDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "fg-http-\(UUID().uuidString)"
        ).path
        let spool = try await FilePartSpool(directory: spoolDirectory, threadPool: threadPool)
        let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let port = Mutex<Int?>(nil)
        let client = ClientConfig(
            name: "demo",
            keySHA256: ClientKeyring.sha256Hex(key),
            backends: ["b"],
            defaultBackend: "b"
        )
        let server = HTTPServer(host: "127.0.0.1", port: 0, group: group, logger: logger) { boundURL in
            port.withLock { $0 = Int(boundURL.split(separator: ":").last ?? "") }
            return Gateway(
                keyring: ClientKeyring(clients: [client]),
                routes: [
                    "demo": .init(
                        backendName: "b",
                        backend: backend,
                        defaultExpiresAfterSeconds: nil,
                        maxUploadBytes: 1 << 20
                    )
                ],
                settings: .init(publicBaseURL: boundURL),
                spool: spool,
                logger: logger
            )
        }
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await server.run() }
            var bound: Int?
            while bound == nil {
                try await Task.sleep(for: .milliseconds(10))
                bound = port.withLock { $0 }
            }
            try await body(bound ?? 0)
            tasks.cancelAll()
        }
        try await group.shutdownGracefully()
        try await threadPool.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: spoolDirectory)
    }

    /// Sends `request` and reads until the server closes the connection (guarded by a 10 s timeout).
    static func exchange(port: Int, _ request: String) async throws -> String {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }
        }
        return try await withThrowingTaskGroup(of: String.self) { tasks in
            tasks.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: request))
                    var received = ""
                    do {
                        for try await chunk in inbound { received += String(buffer: chunk) }
                    } catch let error as ChannelError where error == .inputClosed {
                        return received
                    } catch {
                        received += "<reset>"
                    }
                    return received
                }
            }
            tasks.addTask {
                try await Task.sleep(for: .seconds(10))
                throw CancellationError()
            }
            let received = try await tasks.next() ?? ""
            tasks.cancelAll()
            return received
        }
    }

    /// Every status line in `received`: a response may follow the previous body with no line break between.
    static func statusLines(_ received: String) -> [String] {
        received.matches(of: /HTTP\/1\.1 \d{3} [^\r]*\r\n/).map { String(received[$0.range].dropLast()) }
    }

    @Test func twoRequestsShareOneKeptAliveConnection() async throws {
        try await Self.withServer(backend: StaticBackend()) { port in
            let received = try await Self.exchange(
                port: port,
                "GET /v1/files HTTP/1.1\r\nHost: x\r\napi-key: \(Self.key)\r\n\r\n"
                    + "GET /v1/files/file-abc HTTP/1.1\r\nHost: x\r\napi-key: \(Self.key)\r\nConnection: close\r\n\r\n"
            )
            #expect(Self.statusLines(received) == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"])
            #expect(received.contains("\"file-abc\""))
        }
    }

    @Test(arguments: [
        (
            "POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 400 Bad Request"
        ),
        ("GET /v1/files HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"),
        ("GET /v1/files HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"),
    ])
    func malformedRequestsAreRefusedAndClosed(request: String, statusLine: String) async throws {
        try await Self.withServer(backend: StaticBackend()) { port in
            let received = try await Self.exchange(port: port, request)
            #expect(Self.statusLines(received) == [statusLine])
            #expect(received.lowercased().contains("connection: close"))
        }
    }

    @Test func anHTTP09RequestIsClosedWithoutAnswer() async throws {
        try await Self.withServer(backend: StaticBackend()) { port in
            let received = try await Self.exchange(port: port, "GET /v1/files\r\n")
            #expect(received == "")
        }
    }

    @Test func continueComesOnlyForAnAuthenticatedUpload() async throws {
        try await Self.withServer(backend: StaticBackend()) { port in
            let head = { (key: String) in
                "POST /v1/files HTTP/1.1\r\nHost: x\r\napi-key: \(key)\r\nExpect: 100-continue\r\nConnection: close\r\n"
                    + "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 5\r\n\r\n"
            }
            let refused = try await Self.exchange(port: port, head("wrong"))
            #expect(Self.statusLines(refused) == ["HTTP/1.1 401 Unauthorized"])
            let accepted = try await Self.exchange(port: port, head(Self.key) + "--b--")
            #expect(Self.statusLines(accepted).first == "HTTP/1.1 100 Continue")
        }
    }

    @Test func aContentBodyThatFailsMidwayLooksCut() async throws {
        try await Self.withServer(backend: StaticBackend(failContentAfter: 1000)) { port in
            let received = try await Self.exchange(
                port: port,
                "GET /v1/files/file-abc/content HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(Self.key)\r\n\r\n"
            )
            #expect(Self.statusLines(received) == ["HTTP/1.1 200 OK"])
            #expect(received.contains("Content-Length: 4000"))
            let body = received.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            #expect(body.utf8.count < 4000)
        }
    }

    /// Clients that connect while the listener's only event loop is busy wait in the kernel's accept queue: none has
    /// its SYN dropped, which would cost it a second before the retransmission. With a backlog of 256, 257 of these
    /// 600 connected.
    @Test func aBurstOfConnectsQueuesWhileTheEventLoopIsBusy() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        try await Self.withServer(backend: StaticBackend(), group: group) { port in
            let busy = DispatchSemaphore(value: 0)
            group.next().execute { busy.wait() }
            defer { busy.signal() }
            let burst = try ConnectBurst(port: port, count: 600)
            defer { burst.close() }
            #expect(burst.connected(within: .seconds(3)) == 600)
        }
    }
}

/// Non-blocking connects to 127.0.0.1, counted as the kernel completes them.
private struct ConnectBurst {
    private var sockets: [Int32] = []

    init(port: Int, count: Int) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        for _ in 0..<count {
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            try #require(socket >= 0, "socket: errno \(errno)")
            sockets.append(socket)
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            try #require(result == 0 || errno == EINPROGRESS, "connect: errno \(errno)")
        }
    }

    /// How many connected, once all have or `timeout` has passed.
    func connected(within timeout: Duration) -> Int {
        var pending = sockets.map { pollfd(fd: $0, events: Int16(POLLOUT), revents: 0) }
        var connected = 0
        let deadline = ContinuousClock.now + timeout
        while !pending.isEmpty, ContinuousClock.now < deadline {
            let milliseconds = Int32((deadline - ContinuousClock.now) / .milliseconds(1))
            guard poll(&pending, nfds_t(pending.count), max(milliseconds, 1)) > 0 else { continue }
            connected += pending.filter { $0.revents != 0 && Self.error(of: $0.fd) == 0 }.count
            pending.removeAll { $0.revents != 0 }
        }
        return connected
    }

    func close() {
        for socket in sockets { Glibc.close(socket) }
    }

    private static func error(of socket: Int32) -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }
}

/// Answers every id with the same file; its content can fail part-way, as a broken disk or upstream would.
struct StaticBackend: Backend {
    var failContentAfter: Int?

    struct Failure: Error {}

    func file(_ id: String) -> FileObject {
        FileObject(id: id, bytes: 4000, createdAt: 1, filename: "a.jsonl", purpose: .fineTune, status: .processed)
    }

    func createFile(
        _ file: NewFile,
        content: Body,
        context: inout BackendContext
    ) async throws(GatewayError) -> FileObject {
        self.file("file-new")
    }

    func listFiles(_ query: ListQuery, context: inout BackendContext) async throws(GatewayError) -> FileList {
        FileList(data: [file("file-1")], hasMore: false)
    }

    func retrieveFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileObject {
        file(id.rawValue)
    }

    func deleteFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileDeletion {
        FileDeletion(id: id.rawValue)
    }

    func fileContent(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileContent {
        let failAfter = failContentAfter ?? 4000
        let chunks = AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            continuation.yield(ByteBuffer(repeating: UInt8(ascii: "a"), count: min(failAfter, 4000)))
            if failAfter < 4000 { continuation.finish(throwing: Failure()) } else { continuation.finish() }
        }
        return FileContent(body: Body(length: .known(4000), chunks))
    }
}
