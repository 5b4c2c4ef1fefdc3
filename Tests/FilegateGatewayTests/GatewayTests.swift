import FilegateCore
import FilegateGateway
import FilegateWire
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The gateway's per-request path against a `FakeBackend`: auth, routing, the create form in both field orders,
/// limits and `Expect: 100-continue`, rendered in each dialect.
@Suite struct GatewayTests {
    static let key = "fg-test-key"
    static let boundary = "XyZboundary"

    struct Harness {
        let gateway: Gateway
        let backend: FakeBackend
        let spoolDirectory: String
        let threadPool: NIOThreadPool

        func spoolFiles() -> [String] {
            (try? FileManager.default.contentsOfDirectory(atPath: spoolDirectory)) ?? ["<unreadable spool>"]
        }
    }

    static func withHarness(
        maxUploadBytes: Int64 = 1 << 20,
        defaultExpires: Int64? = nil,
        _ body: (Harness) async throws -> Void
    ) async throws {
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fg-gw-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let spoolDirectory = directory + "/spool"
        let backend = FakeBackend()
        let client = ClientConfig(
            name: "demo",
            keySHA256: ClientKeyring.sha256Hex(key),
            backends: ["fake"],
            defaultBackend: "fake"
        )
        let gateway = Gateway(
            keyring: ClientKeyring(clients: [client]),
            routes: [
                "demo": .init(
                    backendName: "fake",
                    backend: backend,
                    defaultExpiresAfterSeconds: defaultExpires,
                    maxUploadBytes: maxUploadBytes
                )
            ],
            settings: .init(publicBaseURL: "https://files.example.test", otherURLs: ["http://127.0.0.1:4711"]),
            spool: try await FilePartSpool(directory: spoolDirectory, threadPool: threadPool),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        do {
            try await body(
                Harness(gateway: gateway, backend: backend, spoolDirectory: spoolDirectory, threadPool: threadPool)
            )
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        try await threadPool.shutdownGracefully()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// One multipart part: a text field or the file.
    enum Part {
        case field(String, String)
        case file(String, [UInt8])
    }

    static func multipart(_ parts: [Part], closed: Bool = true) -> [UInt8] {
        var text: [UInt8] = []
        for part in parts {
            text += Array("--\(boundary)\r\n".utf8)
            switch part {
            case .field(let name, let value):
                text += Array("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
            case .file(let filename, let bytes):
                text += Array(
                    "Content-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                        .utf8
                )
                text += bytes + Array("\r\n".utf8)
            }
        }
        if closed { text += Array("--\(boundary)--\r\n".utf8) }
        return text
    }

    /// A body delivered in small chunks, so the form is parsed across chunk borders.
    struct ChunkedBytes: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let bytes: [UInt8]
        let chunkSize: Int

        struct AsyncIterator: AsyncIteratorProtocol {
            let bytes: [UInt8]
            let chunkSize: Int
            var offset = 0
            mutating func next() async throws -> ByteBuffer? {
                guard offset < bytes.count else { return nil }
                let end = Swift.min(offset + chunkSize, bytes.count)
                defer { offset = end }
                return ByteBuffer(bytes: bytes[offset..<end])
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, chunkSize: chunkSize) }
    }

    final class ContinueProbe: Sendable {
        let count = Mutex(0)
        func send() { count.withLock { $0 += 1 } }
        var sent: Int { count.withLock { $0 } }
    }

    static func request(
        _ method: String,
        _ target: String,
        headers extra: [(String, String)] = [],
        body: [UInt8]? = nil,
        chunked: Bool = false,
        declaredLength: Int64? = nil,
        probe: ContinueProbe = ContinueProbe()
    ) -> GatewayRequest {
        var headers = HTTPHeaders([("Host", "evil.example"), ("api-key", key)])
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        if let body {
            headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
            if chunked {
                headers.add(name: "Transfer-Encoding", value: "chunked")
            } else {
                headers.add(name: "Content-Length", value: "\(declaredLength ?? Int64(body.count))")
            }
        }
        let head = RequestHead(
            method: method,
            target: target,
            version: HTTPVersion(major: 1, minor: 1),
            headers: headers
        )
        let length: Body.Length = chunked ? .unknown : .known(Int64(body?.count ?? 0))
        return GatewayRequest(
            head: head,
            body: Body(length: length, ChunkedBytes(bytes: body ?? [], chunkSize: 7)),
            sendContinue: { probe.send() }
        )
    }

    static func json(_ response: GatewayResponse) -> [String: Any] {
        guard case .buffer(let buffer) = response.content,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))
        else { return [:] }
        return object as? [String: Any] ?? [:]
    }

    static func errorField(_ response: GatewayResponse, _ field: String) -> String? {
        (json(response)["error"] as? [String: Any])?[field] as? String
    }

    static let payload = Array("{\"prompt\": \"hi\"}\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 300)

    @Test(
        "an absolute-form target is served only when it names filegate itself",
        arguments: [
            (String?.none, true), ("files.example.test:443", true), ("127.0.0.1:4711", true),
            ("127.0.0.1:4712", false), ("example.com:80", false), ("files.example.test:80", false),
        ]
    )
    func servesOwnAuthority(authority: String?, served: Bool) async throws {
        try await Self.withHarness { harness in
            #expect(harness.gateway.serves(authority: authority) == served)
        }
    }

    @Test(arguments: [
        [Part.field("purpose", "fine-tune"), .file("train.jsonl", payload)],
        [Part.file("train.jsonl", payload), .field("purpose", "fine-tune")],
    ])
    func createStoresTheFileInEitherFieldOrder(parts: [Part]) async throws {
        try await Self.withHarness { harness in
            let response = await harness.gateway.respond(
                to: Self.request("POST", "/v1/files", body: Self.multipart(parts))
            )
            #expect(response.status == 200)
            let object = Self.json(response)
            #expect(object["purpose"] as? String == "fine-tune")
            #expect(object["filename"] as? String == "train.jsonl")
            #expect(object["bytes"] as? Int == Self.payload.count)
            let id = try #require(object["id"] as? String)
            var context = BackendContext(requestID: "test")
            let content = try await harness.backend.fileContent(try #require(FileID(rawValue: id)), context: &context)
            let stored = try await content.body.collect(upTo: 1 << 20)
            #expect(Array(stored.readableBytesView) == Self.payload)
            #expect(harness.spoolFiles() == [])
        }
    }

    @Test func datedCreateAnswers201WithLocationFromThePublicBaseURL() async throws {
        try await Self.withHarness { harness in
            let body = Self.multipart([.field("purpose", "fine-tune"), .file("a.jsonl", Self.payload)])
            let response = await harness.gateway.respond(
                to: Self.request("POST", "/openai/files?api-version=2024-06-01", body: body)
            )
            #expect(response.status == 201)
            let id = try #require(Self.json(response)["id"] as? String)
            #expect(response.headers.first(name: "location") == "https://files.example.test/openai/files/\(id)")
            #expect(response.headers.first(name: "apim-request-id")?.hasPrefix("req_") == true)
        }
    }

    @Test(arguments: [
        ([Part.file("a.jsonl", payload)], "purpose"),
        ([Part.field("purpose", "fine-tune")], "file"),
        ([Part.file("a.jsonl", payload), .field("purpose", "batch_output")], "purpose"),
        ([Part.field("purpose", "fine-tune"), .file("a.jsonl", payload), .field("purpose", "batch")], "purpose"),
        ([Part.field("purpose", "fine-tune"), .file("a.jsonl", payload), .file("b.jsonl", payload)], "file"),
    ])
    func badFormsAre400NamingTheFieldAndStoreNothing(parts: [Part], param: String) async throws {
        try await Self.withHarness { harness in
            let response = await harness.gateway.respond(
                to: Self.request("POST", "/v1/files", body: Self.multipart(parts))
            )
            #expect(response.status == 400)
            #expect(Self.errorField(response, "param") == param)
            #expect(harness.backend.storedCount == 0)
            #expect(harness.spoolFiles() == [])
        }
    }

    @Test(arguments: [true, false])
    func aTruncatedFormStoresNothing(purposeFirst: Bool) async throws {
        try await Self.withHarness { harness in
            let parts: [Part] =
                purposeFirst
                ? [.field("purpose", "fine-tune"), .file("a.jsonl", Self.payload)]
                : [.file("a.jsonl", Self.payload), .field("purpose", "fine-tune")]
            let response = await harness.gateway.respond(
                to: Self.request("POST", "/v1/files", body: Self.multipart(parts, closed: false))
            )
            #expect(response.status == 400)
            #expect(harness.backend.storedCount == 0)
            #expect(harness.spoolFiles() == [])
        }
    }

    @Test func aDeclaredLengthOverTheLimitIs413BeforeContinue() async throws {
        try await Self.withHarness(maxUploadBytes: 100) { harness in
            let probe = ContinueProbe()
            let body = Self.multipart([.field("purpose", "fine-tune"), .file("a.jsonl", Self.payload)])
            let response = await harness.gateway.respond(
                to: Self.request("POST", "/v1/files", headers: [("Expect", "100-continue")], body: body, probe: probe)
            )
            #expect(response.status == 413)
            #expect(probe.sent == 0)
            #expect(harness.backend.storedCount == 0)
        }
    }

    @Test(arguments: [true, false])
    func aChunkedBodyPassingTheLimitIs413AndStoresNothing(purposeFirst: Bool) async throws {
        try await Self.withHarness(maxUploadBytes: 200) { harness in
            let parts: [Part] =
                purposeFirst
                ? [.field("purpose", "fine-tune"), .file("a.jsonl", Self.payload)]
                : [.file("a.jsonl", Self.payload), .field("purpose", "fine-tune")]
            let response = await harness.gateway.respond(
                to: Self.request("POST", "/v1/files", body: Self.multipart(parts), chunked: true)
            )
            #expect(response.status == 413)
            #expect(harness.backend.storedCount == 0)
            #expect(harness.spoolFiles() == [])
        }
    }

    @Test func continueIsSentOnlyAfterAuthPasses() async throws {
        try await Self.withHarness { harness in
            let body = Self.multipart([.field("purpose", "fine-tune"), .file("a.jsonl", Self.payload)])
            let refused = ContinueProbe()
            let denied = await harness.gateway.respond(
                to: Self.request(
                    "POST",
                    "/v1/files",
                    headers: [("Expect", "100-continue"), ("api-key", "wrong")],
                    body: body,
                    probe: refused
                )
            )
            #expect(denied.status == 401)
            #expect(refused.sent == 0)
            let accepted = ContinueProbe()
            let created = await harness.gateway.respond(
                to: Self.request(
                    "POST",
                    "/v1/files",
                    headers: [("Expect", "100-continue")],
                    body: body,
                    probe: accepted
                )
            )
            #expect(created.status == 200)
            #expect(accepted.sent == 1)
        }
    }

    @Test func theBackendDefaultExpiryIsFilledWhenTheClientSentNone() async throws {
        try await Self.withHarness(defaultExpires: 7200) { harness in
            let body = Self.multipart([.field("purpose", "batch"), .file("a.jsonl", Self.payload)])
            _ = await harness.gateway.respond(to: Self.request("POST", "/v1/files", body: body))
            let explicit = Self.multipart([
                .field("purpose", "batch"), .field("expires_after[seconds]", "3600"), .file("a.jsonl", Self.payload),
            ])
            _ = await harness.gateway.respond(to: Self.request("POST", "/v1/files", body: explicit))
            #expect(harness.backend.created.map(\.expiresAfterSeconds) == [7200, 3600])
        }
    }

    @Test(arguments: [
        ("/v1/files", "x-request-id", "invalid_api_key"),
        ("/openai/v1/files", "apim-request-id", "invalid_api_key"),
        ("/openai/files?api-version=2024-06-01", "apim-request-id", "unauthorized"),
    ])
    func aWrongKeyIs401InTheClientsDialect(target: String, requestIDHeader: String, code: String) async throws {
        try await Self.withHarness { harness in
            let response = await harness.gateway.respond(
                to: Self.request("GET", target, headers: [("api-key", "sk-secret-wrong")])
            )
            #expect(response.status == 401)
            #expect(Self.errorField(response, "code") == code)
            #expect(response.headers.contains(name: requestIDHeader))
            guard case .buffer(let body) = response.content else {
                Issue.record("no body")
                return
            }
            #expect(!String(buffer: body).contains("sk-secret-wrong"))
        }
    }

    @Test func anUnknownPathIs404InTheOpenAIShape() async throws {
        try await Self.withHarness { harness in
            let response = await harness.gateway.respond(to: Self.request("GET", "/v2/things"))
            #expect(response.status == 404)
            #expect(Self.errorField(response, "type") == "invalid_request_error")
        }
    }

    @Test(arguments: [
        ("/v1/files/file-nope", "x-request-id"),
        ("/openai/files/file-nope?api-version=2024-10-21", "apim-request-id"),
    ])
    func theUpstreamsRequestIDAndAnswerHeadersReachTheClient(target: String, requestIDHeader: String) async throws {
        try await Self.withHarness { harness in
            let response = await harness.gateway.respond(to: Self.request("GET", target))
            #expect(response.status == 404)
            #expect(response.headers[requestIDHeader] == ["upstream-file-nope"])
            #expect(response.headers["x-ratelimit-remaining-requests"] == ["7"])
        }
    }
}
