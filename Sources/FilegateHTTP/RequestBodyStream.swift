import FilegateCore
import FilegateWire
import NIOCore

/// The request events of one connection, read in turn by the connection loop (heads) and the gateway (bodies).
///
/// `@unchecked Sendable`: a connection handles one request at a time, and the loop touches the iterator again
/// only after the gateway has answered, so exactly one task uses it at any moment.
final class RequestBodyStream: @unchecked Sendable {
    private var events: NIOAsyncChannelInboundStream<RequestEvent>.AsyncIterator
    /// Whether the current request's `.end` has been read.
    private(set) var bodyEnded = true

    init(_ events: NIOAsyncChannelInboundStream<RequestEvent>.AsyncIterator) {
        self.events = events
    }

    /// The next request head, or `nil` when the client closed the connection between requests.
    func nextHead() async throws -> RequestHead? {
        precondition(bodyEnded, "a request head is read only after the previous body ended")
        switch try await events.next() {
        case .head(let head):
            bodyEnded = false
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

    /// Reads and drops what is left of the current body, up to `limit` bytes; true when the body ended within it.
    func discardBody(upTo limit: Int) async -> Bool {
        var discarded = 0
        while !bodyEnded {
            guard let chunk = try? await nextBodyChunk() else { return bodyEnded }
            discarded += chunk.readableBytes
            if discarded > limit { return false }
        }
        return true
    }

    fileprivate func nextBodyChunk() async throws -> ByteBuffer? {
        guard !bodyEnded else { return nil }
        let event: RequestEvent?
        do {
            event = try await events.next()
        } catch let error as WireError {
            throw error.gatewayError ?? GatewayError.invalidRequest(error.reason)
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
