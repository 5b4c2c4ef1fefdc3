import FilegateCore
import FilegateGateway
import FilegateWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// One client connection: read a head, let the gateway answer, write the answer, repeat while the connection lives;
/// then close it lingering (`LingeringCloseHandler`), so an early answer (DESIGN.md "Expect: 100-continue inbound")
/// reaches a client still sending its body.
///
/// Every wait for the client is timed by `timer`: the head and the idle time between requests through the stream,
/// body reads in `RequestBodyStream`, writes here.
struct HTTPConnection {
    let gateway: Gateway
    let timer: ConnectionTimer
    let logger: Logger

    func run(_ channel: NIOAsyncChannel<RequestEvent, ByteBuffer>) async {
        let drain = ConnectionDrain()
        do {
            try await channel.executeThenClose { inbound, outbound in
                let stream = RequestBodyStream(inbound.makeAsyncIterator(), timer: timer)
                try await withGracefulShutdownHandler {
                    while drain.awaitingHead() {
                        let head: RequestHead?
                        do {
                            head = try await stream.nextHead()
                        } catch let error as WireError {
                            try await refuse(error, outbound: outbound)
                            return
                        } catch let expired as ConnectionTimer.Expired {
                            try await refuse(expired, outbound: outbound)
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
                try? await channel.channel.triggerUserOutboundEvent(LingeringCloseHandler.Begin()).get()
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
        let request = GatewayRequest(head: head, body: stream.body(for: head)) {
            var buffer = ByteBuffer()
            ResponseHead(status: 100, headers: HTTPHeaders()).write(into: &buffer)
            try await send(buffer, outbound: outbound)
        }
        let response = await gateway.respond(to: request)
        if head.framing == .none || head.framing == .length(0) {
            await stream.skipEmptyBody()
        }
        let keepAlive = head.keepAlive && stream.bodyEnded && !drain.isDraining
        try await write(response, keepAlive: keepAlive, outbound: outbound)
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
            try await send(buffer, outbound: outbound)
        case .buffer(var body):
            headers.replaceOrAdd(name: "Content-Length", value: "\(body.readableBytes)")
            ResponseHead(status: response.status, headers: headers).write(into: &buffer)
            buffer.writeBuffer(&body)
            try await send(buffer, outbound: outbound)
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
            try await send(buffer, outbound: outbound)
            var sent: Int64 = 0
            for try await chunk in body {
                sent += Int64(chunk.readableBytes)
                guard sent <= length else { throw CutBody(expected: length, sent: sent) }
                try await send(chunk, outbound: outbound)
            }
            guard sent == length else { throw CutBody(expected: length, sent: sent) }
        case .unknown:
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
            ResponseHead(status: status, headers: headers).write(into: &buffer)
            try await send(buffer, outbound: outbound)
            for try await chunk in body where chunk.readableBytes > 0 {
                var framed = ByteBuffer()
                ChunkedEncoding.writeChunk(chunk, into: &framed)
                try await send(framed, outbound: outbound)
            }
            var last = ByteBuffer()
            ChunkedEncoding.writeLastChunk(into: &last)
            try await send(last, outbound: outbound)
        }
    }

    /// Writes `buffer`, timed as a wait for the client while the channel is too full to take it.
    private func send(_ buffer: ByteBuffer, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        try await timer.waitingToSend { try await outbound.write(buffer) }
    }

    /// Answers a head that did not arrive within the header timeout with 408 (in the OpenAI shape), then closes.
    private func refuse(
        _ expired: ConnectionTimer.Expired,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    ) async throws {
        logger.info("refused a request head that did not arrive in time")
        let seconds = expired.after.components.seconds
        let error = GatewayError(.requestTimeout, "The request head did not arrive within \(seconds) seconds.")
        try await write(gateway.render(error), keepAlive: false, outbound: outbound)
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
