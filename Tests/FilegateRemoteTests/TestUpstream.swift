import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A tiny HTTP/1.1 upstream on 127.0.0.1 that answers, streams, stalls, cuts and counts, for the curl tests.
///
/// Routes: `GET /json`; `GET /close` (/json, then the connection closes); `GET /idle-close` (/json, and the
/// connection closes 50 ms later); `GET /bytes?n=N` (the `Pattern` bytes, written as the socket takes them); `GET /early`
/// (a 103 head, then /json); `GET /status?code=C`; `GET /stall` (never answers); `GET /reset?n=N` and
/// `GET /short?n=N` (announce 2N bytes, send N, then reset or close); `POST|PUT /upload` (answers the byte
/// count and hash of what it read, as JSON); any method on `/echo[?fields=1]` (the method and header names, with
/// `fields=1` the fields too, as JSON); `GET /gather?n=N` (/json, once N such requests are waiting: N transfers in
/// flight at once).
final class TestUpstream: Sendable {
    struct Counters {
        var acceptedConnections = 0
        var bytesStreamed = 0
        var streamsCut = 0
    }

    /// What the handlers of every connection share.
    final class State: Sendable {
        let counters = Mutex(Counters())
        /// Succeeds when a client closes a connection in the middle of a `/bytes` stream.
        let streamCut: EventLoopPromise<Void>
        /// The answers of the `/gather` requests waiting for the rest of their wave.
        let gathering = Mutex<[@Sendable () -> Void]>([])

        init(streamCut: EventLoopPromise<Void>) {
            self.streamCut = streamCut
        }
    }

    let port: Int
    let state: State
    private let channel: any Channel

    private init(channel: any Channel, state: State) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.state = state
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// A snapshot of the counters.
    var counters: Counters { state.counters.withLock { $0 } }
    var streamCut: EventLoopPromise<Void> { state.streamCut }

    static func start() async throws -> TestUpstream {
        let group = MultiThreadedEventLoopGroup.singleton
        let state = State(streamCut: group.next().makePromise(of: Void.self))
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.counters.withLock { $0.acceptedConnections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(UpstreamHandler(state: state))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestUpstream(channel: channel, state: state)
    }

    func shutdown() async throws {
        streamCut.fail(ChannelError.alreadyClosed)
        try await channel.close()
    }
}

/// Bytes whose value depends on their offset, so a reordered or shifted stream does not hash the same.
enum Pattern {
    static func byte(at offset: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: (offset &* 2_654_435_761) >> 13)
    }

    static func chunk(from offset: Int, count: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count)
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { bytes in
            for index in 0..<count { bytes[index] = byte(at: offset + index) }
            return count
        }
        return buffer
    }

    static func hash(ofFirst count: Int) -> UInt64 {
        var hash = FNV1a()
        var offset = 0
        while offset < count {
            let length = min(1 << 16, count - offset)
            hash.update(chunk(from: offset, count: length))
            offset += length
        }
        return hash.value
    }
}

/// 64-bit FNV-1a over a byte stream.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func update(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                value = (value ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
    }
}

private final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: TestUpstream.State
    private var head: HTTPRequestHead?
    private var uploaded = 0
    private var uploadHash = FNV1a()
    private var streaming = false

    init(state: TestUpstream.State) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            uploaded = 0
            uploadHash = FNV1a()
        case .body(let chunk):
            uploaded += chunk.readableBytes
            uploadHash.update(chunk)
        case .end:
            guard let head else { return }
            respond(to: head, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if streaming {
            streaming = false
            state.counters.withLock { $0.streamsCut += 1 }
            state.streamCut.succeed()
        }
        context.fireChannelInactive()
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let (path, query) = Self.split(head.uri)
        let count = Int(query["n"] ?? "") ?? 0
        switch path {
        case "/json":
            sendJSON(#"{"ok":true}"#, context: context)
        case "/close":
            sendJSON(#"{"ok":true}"#, closing: true, context: context)
        case "/idle-close":
            // Answered on a kept-alive connection, which the upstream then closes while the client holds it idle.
            sendJSON(#"{"ok":true}"#, context: context)
            let channel = context.channel
            channel.eventLoop.scheduleTask(in: .milliseconds(50)) { channel.close(promise: nil) }
        case "/early":
            var hints = HTTPHeaders()
            hints.add(name: "Link", value: "</style.css>; rel=preload")
            context.write(
                wrapOutboundOut(
                    .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: 103), headers: hints))
                ),
                promise: nil
            )
            sendJSON(#"{"ok":true}"#, context: context)
        case "/status":
            let code = Int(query["code"] ?? "") ?? 500
            sendJSON(#"{"status":\#(code)}"#, status: .init(statusCode: code), context: context)
        case "/echo":
            // The request line's method, the header names, lowercased, in the order sent, and with `?fields=1` the
            // fields as `name: value`.
            let names = head.headers.map { "\"\($0.name.lowercased())\"" }.joined(separator: ",")
            let fields = head.headers.map { "\"\($0.name): \($0.value)\"" }.joined(separator: ",")
            let echoed = query["fields"] == nil ? "" : #","fields":[\#(fields)]"#
            sendJSON(#"{"method":"\#(head.method.rawValue)","headers":[\#(names)]\#(echoed)}"#, context: context)
        case "/upload":
            sendJSON(#"{"bytes":\#(uploaded),"hash":"\#(String(uploadHash.value, radix: 16))"}"#, context: context)
        case "/bytes":
            sendHead(contentLength: count, context: context)
            streaming = true
            stream(from: 0, total: count, stopAt: count, context: context) { context in
                self.streaming = false
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
        case "/reset":
            sendHead(contentLength: 2 * count, context: context)
            stream(from: 0, total: 2 * count, stopAt: count, context: context) { context in
                // SO_LINGER 0: close sends a reset, not a FIN.
                guard let provider = context.channel as? any SocketOptionProvider else { return }
                let channel = context.channel
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
            }
        case "/short":
            sendHead(contentLength: 2 * count, context: context)
            stream(from: 0, total: 2 * count, stopAt: count, context: context) { context in
                context.close(promise: nil)
            }
        case "/stall":
            break
        case "/gather":
            let eventLoop = context.eventLoop
            let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
            let answer: @Sendable () -> Void = {
                eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.sendJSON(#"{"ok":true}"#, context: context)
                }
            }
            let wave = state.gathering.withLock { waiting -> [@Sendable () -> Void] in
                waiting.append(answer)
                guard waiting.count >= count else { return [] }
                defer { waiting.removeAll() }
                return waiting
            }
            for answer in wave { answer() }
        default:
            sendJSON(#"{"error":"no route"}"#, status: .notFound, context: context)
        }
    }

    private func sendHead(contentLength: Int, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Length", value: String(contentLength))
        headers.add(name: "Content-Type", value: "application/octet-stream")
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
            promise: nil
        )
    }

    /// Answers `json`; when `closing`, with `Connection: close`, closing the connection once it is written.
    private func sendJSON(
        _ json: String,
        status: HTTPResponseStatus = .ok,
        closing: Bool = false,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(json.utf8.count))
        if closing { headers.add(name: "Connection", value: "close") }
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: json)))), promise: nil)
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closing {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Writes the pattern from `offset` up to `stopAt`, the next chunk only once the last one left for the socket,
    /// so a client that stops reading stops the stream; then calls `done`.
    private func stream(
        from offset: Int,
        total: Int,
        stopAt: Int,
        context: ChannelHandlerContext,
        done: @escaping (ChannelHandlerContext) -> Void
    ) {
        guard offset < stopAt else {
            done(context)
            return
        }
        let length = min(64 * 1024, stopAt - offset)
        let chunk = Pattern.chunk(from: offset, count: length)
        let loopBound = NIOLoopBound((self, context, done), eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(chunk)))).whenSuccess {
            let (handler, context, done) = loopBound.value
            handler.state.counters.withLock { $0.bytesStreamed += length }
            handler.stream(from: offset + length, total: total, stopAt: stopAt, context: context, done: done)
        }
    }

    private static func split(_ uri: String) -> (String, [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let field = pair.split(separator: "=", maxSplits: 1)
                if field.count == 2 { query[String(field[0])] = String(field[1]) }
            }
        }
        return (String(parts.first ?? ""), query)
    }
}
