import FilegateCore
import FilegateWire
import NIOCore

/// The request events of one connection, read in turn by the connection loop (heads) and the gateway (bodies).
///
/// `@unchecked Sendable`: a connection handles one request at a time, and the loop touches the iterator again
/// only after the gateway has answered, so exactly one task uses it at any moment.
final class RequestBodyStream: @unchecked Sendable {
    private var events: NIOAsyncChannelInboundStream<RequestEvent>.AsyncIterator
    private let timer: ConnectionTimer
    /// Whether the current request's `.end` has been read.
    private(set) var bodyEnded = true
    /// Whether the current body's read failed because no byte came within the body timeout.
    private(set) var bodyTimedOut = false

    init(_ events: NIOAsyncChannelInboundStream<RequestEvent>.AsyncIterator, timer: ConnectionTimer) {
        self.events = events
        self.timer = timer
    }

    /// The next request head, or `nil` when the client closed the connection between requests; throws `WireError`
    /// for a refused head and `ConnectionTimer.Expired` for one that did not come in time.
    func nextHead() async throws -> RequestHead? {
        precondition(bodyEnded, "a request head is read only after the previous body ended")
        timer.awaitingHead()
        let event = try await events.next()
        timer.headReceived()
        switch event {
        case .head(let head):
            bodyEnded = false
            bodyTimedOut = false
            return head
        case .none:
            return nil
        case .body, .end:
            preconditionFailure("the parser yields body events only after a head")
        }
    }

    /// The current request's body as the gateway pulls it.
    func body(for head: RequestHead) -> Body {
        let length: Body.Length
        switch head.framing {
        case .none: length = .known(0)
        case .length(let count): length = .known(count)
        case .chunked: length = .unknown
        }
        return Body(length: length, Chunks(stream: self))
    }

    /// Reads the `.end` of a body the gateway had no reason to pull (it declared no bytes), so the connection can
    /// carry the next request.
    func skipEmptyBody() async {
        while !bodyEnded, (try? await nextBodyChunk()) != nil {}
    }

    fileprivate func nextBodyChunk() async throws -> ByteBuffer? {
        guard !bodyEnded else { return nil }
        let event: RequestEvent?
        do {
            event = try await timer.waitingForBody { try await events.next() }
        } catch let error as WireError {
            throw error.gatewayError ?? GatewayError.invalidRequest(error.reason)
        } catch let expired as ConnectionTimer.Expired {
            bodyTimedOut = true
            throw GatewayError(
                .requestTimeout,
                "No byte of the request body came for \(expired.after.components.seconds) seconds."
            )
        }
        switch event {
        case .body(let chunk):
            return chunk
        case .end:
            bodyEnded = true
            return nil
        case .none:
            throw GatewayError.invalidRequest("The connection closed before the request body ended.")
        case .head:
            preconditionFailure("the parser yields a new head only after the body ended")
        }
    }

    private struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let stream: RequestBodyStream

        struct AsyncIterator: AsyncIteratorProtocol {
            let stream: RequestBodyStream
            mutating func next() async throws -> ByteBuffer? { try await stream.nextBodyChunk() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: stream) }
    }
}
