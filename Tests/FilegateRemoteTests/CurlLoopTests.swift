import FilegateCore
import FilegateWire
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import FilegateRemote

/// The curl thread against `TestUpstream` on 127.0.0.1: answers, streams both ways, backpressure, faults.
@Suite(.timeLimit(.minutes(1))) struct CurlLoopTests {
    /// Runs a `CurlLoop` and an upstream for `body`, then shuts both down.
    static func withLoop(
        maxOpenConnections: Int = 64,
        _ body: @Sendable (CurlLoop, TestUpstream) async throws -> Void
    ) async throws {
        let loop = CurlLoop(
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            maxOpenConnections: maxOpenConnections
        )
        let upstream = try await TestUpstream.start()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await loop.run() }
            try await body(loop, upstream)
            group.cancelAll()
            try await group.waitForAll()
        }
        try await upstream.shutdown()
    }

    static func get(_ url: String, firstByteTimeout: Duration = .seconds(30)) -> UpstreamRequest {
        UpstreamRequest(method: "GET", url: url, firstByteTimeout: firstByteTimeout)
    }

    /// Reads the whole body, counting and hashing it.
    static func drain(_ body: Body) async throws -> (count: Int, hash: UInt64) {
        var hash = FNV1a()
        var count = 0
        for try await chunk in body {
            count += chunk.readableBytes
            hash.update(chunk)
        }
        return (count, hash.value)
    }

    /// Waits for `condition`, checking it every few milliseconds; the suite's time limit guards a hang.
    static func waitUntil(_ condition: () -> Bool) async throws {
        while !condition() {
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func getReturnsStatusHeadersAndBody() async throws {
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + "/json"))
            #expect(response.status == 200)
            #expect(response.headers.first(name: "content-type") == "application/json")
            #expect(response.body.length == .known(11))
            let body = try await response.body.collect(upTo: 1024)
            #expect(String(buffer: body) == #"{"ok":true}"#)
        }
    }

    @Test func interimHeadIsSkipped() async throws {
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + "/early"))
            #expect(response.status == 200)
            #expect(response.headers.first(name: "Link") == nil)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"ok":true}"#)
        }
    }

    @Test(arguments: [301, 404, 503])
    func errorStatusesAreAnswersNotFailures(status: Int) async throws {
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + "/status?code=\(status)"))
            #expect(response.status == status)
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"status":\#(status)}"#)
        }
    }

    @Test func downloadStreamsEveryByte() async throws {
        let size = 8 << 20
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + "/bytes?n=\(size)"))
            #expect(response.body.length == .known(Int64(size)))
            let (count, hash) = try await Self.drain(response.body)
            #expect(count == size)
            #expect(hash == Pattern.hash(ofFirst: size))
        }
    }

    @Test func uploadWithAKnownLengthArrivesWhole() async throws {
        let size = 8 << 20
        try await Self.withLoop { loop, upstream in
            let body = Body(length: .known(Int64(size)), PatternChunks(total: size, chunkSize: 100_000))
            let request = UpstreamRequest(
                method: "POST",
                url: upstream.baseURL + "/upload",
                headers: [("Content-Type", "application/octet-stream")],
                body: body
            )
            let response = try await loop.perform(request)
            #expect(response.status == 200)
            let answer = String(buffer: try await response.body.collect(upTo: 1024))
            #expect(answer == #"{"bytes":\#(size),"hash":"\#(String(Pattern.hash(ofFirst: size), radix: 16))"}"#)
        }
    }

    @Test func bodyShorterThanDeclaredFailsTheRequest() async throws {
        try await Self.withLoop { loop, upstream in
            let body = Body(length: .known(1000), PatternChunks(total: 10, chunkSize: 10))
            let request = UpstreamRequest(method: "PUT", url: upstream.baseURL + "/upload", body: body)
            await #expect(throws: GatewayError.invalidRequest("The request body ended before its declared length.")) {
                _ = try await loop.perform(request)
            }
        }
    }

    @Test func slowConsumerKeepsTheBufferWithinTheHighWatermark() async throws {
        let size = 32 << 20
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + "/bytes?n=\(size)"))
            let transfer = try #require(response.transfer)
            // Nobody reads: curl fills the queue, pauses, and the upstream stops with bytes left to send.
            try await Self.waitUntil { transfer.isReceivePaused }
            #expect(transfer.downloadBytesBuffered <= Transfer.downloadWatermarks.high)
            #expect(upstream.counters.bytesStreamed < size)
            let (count, hash) = try await Self.drain(response.body)
            #expect(count == size)
            #expect(hash == Pattern.hash(ofFirst: size))
            #expect(transfer.peakDownloadBytes <= Transfer.downloadWatermarks.high)
            #expect(transfer.receivePauseCount >= 1)
        }
    }

    @Test func refusedConnectionIsUpstreamUnreachable() async throws {
        let closedPort = try await Self.portWithNoListener()
        try await Self.withLoop { loop, _ in
            let error = await #expect(throws: GatewayError.self) {
                _ = try await loop.perform(Self.get("http://127.0.0.1:\(closedPort)/json"))
            }
            #expect(error?.code == .upstreamUnreachable)
            #expect(error?.status == 502)
        }
    }

    @Test func stallBeforeTheHeadIsAFirstByteTimeout() async throws {
        try await Self.withLoop { loop, upstream in
            let error = await #expect(throws: GatewayError.self) {
                _ = try await loop.perform(Self.get(upstream.baseURL + "/stall", firstByteTimeout: .milliseconds(300)))
            }
            #expect(error?.code == .upstreamTimeout)
            #expect(error?.status == 504)
        }
    }

    @Test func stallAfterTheUploadIsAFirstByteTimeout() async throws {
        try await Self.withLoop { loop, upstream in
            let request = UpstreamRequest(
                method: "POST",
                url: upstream.baseURL + "/stall",
                body: Body(length: .known(1 << 20), PatternChunks(total: 1 << 20, chunkSize: 65536)),
                firstByteTimeout: .milliseconds(300)
            )
            let error = await #expect(throws: GatewayError.self) {
                _ = try await loop.perform(request)
            }
            #expect(error?.code == .upstreamTimeout)
        }
    }

    @Test func shutdownFailsTransfersInFlight() async throws {
        let loop = CurlLoop(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let upstream = try await TestUpstream.start()
        let runner = Task { try await loop.run() }
        let caller = Task { try await loop.perform(Self.get(upstream.baseURL + "/stall")) }
        try await Self.waitUntil { upstream.counters.acceptedConnections == 1 }
        runner.cancel()
        try await runner.value
        let result = await caller.result
        #expect(throws: GatewayError.loopStopped) { try result.get() }
        try await upstream.shutdown()
    }

    @Test(arguments: ["/reset", "/short"])
    func bodyCutShortMakesTheBodyThrow(path: String) async throws {
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + path + "?n=300000"))
            #expect(response.status == 200)
            let error = await #expect(throws: GatewayError.self) {
                _ = try await Self.drain(response.body)
            }
            #expect(error?.code == .badGateway)
        }
    }

    @Test func cancellingTheConsumerCancelsTheTransfer() async throws {
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + "/bytes?n=\(256 << 20)"))
            let firstChunk = Mutex(false)
            let consumer = Task {
                for try await _ in response.body {
                    firstChunk.withLock { $0 = true }
                }
            }
            try await Self.waitUntil { firstChunk.withLock { $0 } }
            consumer.cancel()
            let result = await consumer.result
            #expect(throws: GatewayError.transferCancelled) { try result.get() }
            // The upstream sees its connection closed in the middle of the stream.
            try await upstream.streamCut.futureResult.get()
            #expect(upstream.counters.streamsCut == 1)
        }
    }

    @Test func droppingTheBodyUnreadCancelsTheTransfer() async throws {
        try await Self.withLoop { loop, upstream in
            var response: UpstreamResponse? = try await loop.perform(
                Self.get(upstream.baseURL + "/bytes?n=\(256 << 20)")
            )
            #expect(response?.status == 200)
            response = nil
            try await upstream.streamCut.futureResult.get()
            #expect(upstream.counters.streamsCut == 1)
        }
    }

    @Test func cancellingTheCallerCancelsTheTransfer() async throws {
        try await Self.withLoop { loop, upstream in
            let caller = Task { try await loop.perform(Self.get(upstream.baseURL + "/stall")) }
            try await Self.waitUntil { upstream.counters.acceptedConnections == 1 }
            caller.cancel()
            let result = await caller.result
            #expect(throws: GatewayError.transferCancelled) { try result.get() }
        }
    }

    @Test func parallelRequestsReuseConnections() async throws {
        try await Self.withLoop { loop, upstream in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        for _ in 0..<10 {
                            let response = try await loop.perform(Self.get(upstream.baseURL + "/json"))
                            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"ok":true}"#)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let accepted = upstream.counters.acceptedConnections
            #expect(accepted <= 10)
        }
    }

    /// curl's connection cache counts the connections in use too. Sized for the transfers that run at once, each
    /// wave reuses the first wave's connections; sized smaller (64, as before this test), every wave after the first
    /// opened 36 new ones, since each transfer that ended closed the oldest idle connection.
    @Test func everyConnectionOfAFullWaveOfTransfersIsReused() async throws {
        let wave = 100
        try await Self.withLoop(maxOpenConnections: wave) { loop, upstream in
            for _ in 0..<3 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<wave {
                        group.addTask {
                            let response = try await loop.perform(Self.get(upstream.baseURL + "/gather?n=\(wave)"))
                            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"ok":true}"#)
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(upstream.counters.acceptedConnections == wave)
        }
    }

    /// How a transfer of `manyTransfersEndingEveryWayAtOnceEachEndAsTheirKindSays` ends.
    enum Ending: CaseIterable, Sendable {
        case answered, downloaded, uploaded, errorStatus, consumerCancelled, bodyDropped, callerCancelled
        case upstreamReset, upstreamShort
    }

    /// Runs one transfer that ends as `ending` says, and checks that it did.
    static func run(_ ending: Ending, _ loop: CurlLoop, _ upstream: TestUpstream) async throws {
        let base = upstream.baseURL
        switch ending {
        case .answered:
            let response = try await loop.perform(get(base + "/json"))
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"ok":true}"#)
        case .downloaded:
            let response = try await loop.perform(get(base + "/bytes?n=\(1 << 20)"))
            let (count, hash) = try await drain(response.body)
            #expect(count == 1 << 20 && hash == Pattern.hash(ofFirst: 1 << 20))
        case .uploaded:
            let body = Body(length: .known(1 << 20), PatternChunks(total: 1 << 20, chunkSize: 64 << 10))
            let response = try await loop.perform(UpstreamRequest(method: "PUT", url: base + "/upload", body: body))
            #expect(String(buffer: try await response.body.collect(upTo: 1024)).hasPrefix(#"{"bytes":1048576,"#))
        case .errorStatus:
            let response = try await loop.perform(get(base + "/status?code=503"))
            #expect(response.status == 503)
            _ = try await response.body.collect(upTo: 1024)
        case .consumerCancelled:
            let response = try await loop.perform(get(base + "/bytes?n=\(64 << 20)"))
            let consumer = Task {
                var iterator = response.body.makeAsyncIterator()
                _ = try await iterator.next()
                withUnsafeCurrentTask { $0?.cancel() }
                while try await iterator.next() != nil {}
            }
            await #expect(throws: GatewayError.transferCancelled) { try await consumer.value }
        case .bodyDropped:
            let response = try await loop.perform(get(base + "/bytes?n=\(64 << 20)"))
            #expect(response.status == 200)
        case .callerCancelled:
            let caller = Task { try await loop.perform(get(base + "/stall")) }
            try await Task.sleep(for: .milliseconds(50))
            caller.cancel()
            await #expect(throws: GatewayError.transferCancelled) { _ = try await caller.value }
        case .upstreamReset, .upstreamShort:
            let path = ending == .upstreamReset ? "/reset" : "/short"
            let response = try await loop.perform(get(base + path + "?n=300000"))
            let error = await #expect(throws: GatewayError.self) { _ = try await drain(response.body) }
            #expect(error?.code == .badGateway)
        }
    }

    /// Transfers ending every way at once, on one curl thread: each ends as its kind says (none hangs: the suite's
    /// time limit), every stream the client gave up on is cut at the upstream, and the loop serves normally after.
    @Test func manyTransfersEndingEveryWayAtOnceEachEndAsTheirKindSays() async throws {
        let rounds = 20
        try await Self.withLoop(maxOpenConnections: 256) { loop, upstream in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<rounds {
                    for ending in Ending.allCases {
                        group.addTask { try await Self.run(ending, loop, upstream) }
                    }
                }
                try await group.waitForAll()
            }
            try await Self.waitUntil { upstream.counters.streamsCut >= 2 * rounds }
            #expect(upstream.counters.streamsCut == 2 * rounds)
            try await Self.run(.downloaded, loop, upstream)
            #expect(loop.socketWatchFailureCount == 0)
        }
    }

    /// The socket of a connection curl closed leaves the epoll set with its descriptor, while the reactor still
    /// counts it parked; the next connection usually gets the same number. It must be watched again (MOD finds
    /// nothing, ADD follows), or the transfer would move only on curl's timers.
    @Test func aNewConnectionOnAClosedConnectionsDescriptorIsWatched() async throws {
        try await Self.withLoop { loop, upstream in
            for _ in 0..<20 {
                let response = try await loop.perform(
                    Self.get(upstream.baseURL + "/close", firstByteTimeout: .seconds(5))
                )
                #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"ok":true}"#)
            }
            #expect(upstream.counters.acceptedConnections == 20)
            #expect(loop.socketWatchFailureCount == 0)
        }
    }

    /// An idle connection's socket stays in the epoll set; when the upstream closes it, the one event it reports
    /// takes it out (left in, it would be reported on every wait), and the next request opens a new connection.
    @Test func anIdleConnectionTheUpstreamClosesIsTakenOutOnce() async throws {
        try await Self.withLoop { loop, upstream in
            let response = try await loop.perform(Self.get(upstream.baseURL + "/idle-close"))
            #expect(String(buffer: try await response.body.collect(upTo: 1024)) == #"{"ok":true}"#)
            try await Self.waitUntil { loop.parkedSocketEventCount > 0 }
            try await Task.sleep(for: .milliseconds(100))
            #expect(loop.parkedSocketEventCount == 1)
            let next = try await loop.perform(Self.get(upstream.baseURL + "/json"))
            #expect(String(buffer: try await next.body.collect(upTo: 1024)) == #"{"ok":true}"#)
            #expect(upstream.counters.acceptedConnections == 2)
        }
    }

    /// Small transfers run one after another on reused easy handles (`EasyHandlePool`): nothing of a transfer's
    /// method or headers may reach the next.
    @Test func aReusedEasyHandleCarriesNothingOfTheLastTransfer() async throws {
        try await Self.withLoop { loop, upstream in
            let url = upstream.baseURL + "/echo"
            let deletion = UpstreamRequest(method: "DELETE", url: url, headers: [("X-Only-Once", "1")])
            let retrieval = Self.get(url)
            for request in [deletion, retrieval, deletion, retrieval] {
                let response = try await loop.perform(request)
                let echo = String(buffer: try await response.body.collect(upTo: 1024))
                #expect(echo.contains(#""method":"\#(request.method)""#), "\(echo)")
                #expect(echo.contains("x-only-once") == (request.method == "DELETE"), "\(echo)")
            }
        }
    }

    /// The upstream's key travels as a `Secret` until curl's header lines are built: it reaches the upstream, first,
    /// and a request printed or dumped on the way does not show it.
    @Test func theCredentialIsSentFirstAndNeverPrinted() async throws {
        try await Self.withLoop { loop, upstream in
            let key = "sk-upstream-0123456789abcdef"
            let request = UpstreamRequest(
                method: "GET",
                url: upstream.baseURL + "/echo?fields=1",
                headers: [("X-Other", "1")],
                credential: (name: "Authorization", value: Secret("Bearer \(key)"))
            )
            var dumped = ""
            dump(request, to: &dumped)
            #expect(!dumped.contains(key) && !"\(request)".contains(key))
            let response = try await loop.perform(request)
            let echo = String(buffer: try await response.body.collect(upTo: 4096))
            #expect(echo.contains(#""fields":["Host: "#), "\(echo)")
            #expect(echo.contains(#"","Authorization: Bearer \#(key)","X-Other: 1""#), "\(echo)")
        }
    }

    /// Named, the curl thread can be told apart in `top -H` and `perf` (it took a libdispatch worker's name before).
    @Test func theCurlThreadIsNamed() async throws {
        try await Self.withLoop { loop, upstream in
            _ = try await loop.perform(Self.get(upstream.baseURL + "/json"))
            let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
            let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            #expect(names.contains(CurlThread.name + "\n"), "\(names)")
        }
    }

    @Test func performAfterShutdownIsUnavailable() async throws {
        let loop = CurlLoop(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let runner = Task { try await loop.run() }
        runner.cancel()
        try await runner.value
        await #expect(throws: GatewayError.loopStopped) {
            _ = try await loop.perform(Self.get("http://127.0.0.1:1/json"))
        }
    }

    /// A loopback port nobody listens on: bound, then closed.
    static func portWithNoListener() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

/// `total` pattern bytes in chunks of `chunkSize`, as a request body.
struct PatternChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let total: Int
    let chunkSize: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let total: Int
        let chunkSize: Int
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < total else { return nil }
            let length = Swift.min(chunkSize, total - offset)
            defer { offset += length }
            return Pattern.chunk(from: offset, count: length)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(total: total, chunkSize: chunkSize)
    }
}
