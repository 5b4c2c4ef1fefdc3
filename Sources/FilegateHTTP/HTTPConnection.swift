import FilegateCore
import FilegateGateway
import FilegateWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// One client connection: read a head, let the gateway answer, write the answer, repeat while the connection lives.
struct HTTPConnection {
    /// After an early answer, at most this much of an unread body is read and dropped before closing, so the client
    /// sees the answer rather than a reset (DESIGN.md "Expect: 100-continue inbound").
    static let lingeringBytes = 4 * 1024 * 1024

    let gateway: Gateway
    let logger: Logger

    func run(_ channel: NIOAsyncChannel<RequestEvent, ByteBuffer>) async {
        let drain = ConnectionDrain()
        do {
            try await channel.executeThenClose { inbound, outbound in
                let stream = RequestBodyStream(inbound.makeAsyncIterator())
                try await withGracefulShutdownHandler {
                    while drain.awaitingHead() {
                        let head: RequestHead?
                        do {
                            head = try await stream.nextHead()
                        } catch let error as WireError {
                            try await refuse(error, outbound: outbound)
                            return
                        }
                        guard let head, drain.headArrived() else { return }
                        guard gateway.serves(authority: head.authority) else {
                            try await refuse(
                                WireError(.badRequest, "The request target names another host."),
                                outbound: outbound
                            )
                            return
                        }
                        guard try await serve(head, stream: stream, drain: drain, outbound: outbound) else { return }
                    }
                } onGracefulShutdown: {
                    if drain.startDraining() {
                        channel.channel.close(promise: nil)
                    }
                }
            }
        } catch {
            logger.debug("connection closed: \(error)")
        }
    }

    /// Answers one request; returns whether the connection may carry another.
    private func serve(
        _ head: RequestHead,
        stream: RequestBodyStream,
        drain: ConnectionDrain,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws -> Bool {
        let continueSent = ContinueFlag()
        let request = GatewayRequest(head: head, body: stream.body(for: head)) {
            continueSent.set()
            var buffer = ByteBuffer()
            ResponseHead(status: 100, headers: HTTPHeaders()).write(into: &buffer)
            try await outbound.write(buffer)
        }
        let response = await gateway.respond(to: request)
        if head.framing == .none || head.framing == .length(0) {
            _ = await stream.discardBody(upTo: 0)
        }
        let keepAlive = head.keepAlive && stream.bodyEnded && !drain.isDraining
        try await write(response, keepAlive: keepAlive, outbound: outbound)
        if !stream.bodyEnded && (!head.expectsContinue || continueSent.isSet) {
            _ = await stream.discardBody(upTo: Self.lingeringBytes)
        }
        return keepAlive
    }

    /// Writes a response; a streamed body that fails or comes up short throws, so the connection is cut.
    private func write(
        _ response: GatewayResponse,
        keepAlive: Bool,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        var headers = response.headers
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        var buffer = ByteBuffer()
        switch response.content {
        case .empty:
            if response.status != 204 { headers.replaceOrAdd(name: "Content-Length", value: "0") }
            ResponseHead(status: response.status, headers: headers).write(into: &buffer)
            try await outbound.write(buffer)
        case .buffer(var body):
            headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
            ResponseHead(status: response.status, headers: headers).write(into: &buffer)
            buffer.writeBuffer(&body)
            try await outbound.write(buffer)
        case .stream(let body):
            try await writeStream(body, status: response.status, headers: headers, outbound: outbound)
        }
    }

    private func writeStream(
        _ body: Body,
        status: Int,
        headers: HTTPHeaders,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        var headers = headers
        var buffer = ByteBuffer()
        switch body.length {
        case .known(let length):
            headers.replaceOrAdd(name: "Content-Length", value: "\(length)")
            ResponseHead(status: status, headers: headers).write(into: &buffer)
            try await outbound.write(buffer)
            var sent: Int64 = 0
            for try await chunk in body {
                sent += Int64(chunk.readableBytes)
                guard sent <= length else { throw CutBody(expected: length, sent: sent) }
                try await outbound.write(chunk)
            }
            guard sent == length else { throw CutBody(expected: length, sent: sent) }
        case .unknown:
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            ResponseHead(status: status, headers: headers).write(into: &buffer)
            try await outbound.write(buffer)
            for try await chunk in body where chunk.readableBytes > 0 {
                var framed = ByteBuffer()
                ChunkedEncoding.writeChunk(chunk, into: &framed)
                try await outbound.write(framed)
            }
            var last = ByteBuffer()
            ChunkedEncoding.writeLastChunk(into: &last)
            try await outbound.write(last)
        }
    }

    /// Answers a request filegate could not parse (in the OpenAI shape: the path is unknown), then closes.
    private func refuse(_ error: WireError, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        logger.info("refused a malformed request: \(error.reason)")
        guard let gatewayError = error.gatewayError else { return }
        try await write(gateway.render(gatewayError), keepAlive: false, outbound: outbound)
    }
}

/// A streamed body that did not match its declared length; thrown so the connection closes with the body cut.
struct CutBody: Error {
    var expected: Int64
    var sent: Int64
}

/// What graceful shutdown does to one connection: between requests it is closed at once; in a request, the answer
/// says `Connection: close` and no further request is read.
///
/// One handler per connection rather than `cancelWhenGracefulShutdown` around each head read, which made a task
/// group, a child task and an unstructured waiter task per request (7% of the CPU of small GETs).
private final class ConnectionDrain: Sendable {
    private struct State {
        var awaitingHead = false
        var draining = false
    }

    private let state = NIOLockedValueBox(State())

    /// Marks the connection idle; false when shutdown has begun and no request should be read.
    func awaitingHead() -> Bool {
        state.withLockedValue { state in
            state.awaitingHead = !state.draining
            return state.awaitingHead
        }
    }

    /// A head arrived; false when shutdown began while the connection was idle (its close is under way).
    func headArrived() -> Bool {
        state.withLockedValue { state in
            state.awaitingHead = false
            return !state.draining
        }
    }

    var isDraining: Bool { state.withLockedValue { $0.draining } }

    /// Begins shutdown; true when the connection is idle and should be closed now.
    func startDraining() -> Bool {
        state.withLockedValue { state in
            state.draining = true
            return state.awaitingHead
        }
    }
}

/// Whether `100 Continue` went out; set from the gateway's task, read by the connection's, never at once.
private final class ContinueFlag: @unchecked Sendable {
    private(set) var isSet = false
    func set() { isSet = true }
}
