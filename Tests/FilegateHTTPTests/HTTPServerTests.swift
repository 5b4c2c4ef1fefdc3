import FilegateCore
import FilegateGateway
import FilegateHTTP
import FilegateWire
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The listener on 127.0.0.1 with raw bytes on a real socket: keep-alive, refusals, `100 Continue`, cut bodies.
@Suite struct HTTPServerTests {
    static let key = "fg-http-key"

    /// Runs a listener whose gateway routes the one client to `backend`, and gives `body` its port.
    static func withServer(
        backend: any Backend,
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
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
