public import NIOCore

/// A streamed body: byte chunks as an async sequence, iterated once, with a known or unknown length.
///
/// The one streaming type that crosses layers (STYLE.md §1), shaped like swift-openapi-runtime's `HTTPBody`: the
/// producer behind it applies backpressure, so a consumer that stops pulling stops the bytes.
public struct Body: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    public enum Length: Hashable, Sendable {
        case known(Int64)
        case unknown
    }

    public let length: Length
    private let chunks: any AsyncSequence<ByteBuffer, any Error> & Sendable

    public init(length: Length, _ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) {
        self.length = length
        self.chunks = chunks
    }

    /// A body held in memory, for small answers and tests.
    public init(_ bytes: some Collection<UInt8> & Sendable) {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        self.init(buffer: buffer)
    }

    public init(buffer: ByteBuffer) {
        self.init(length: .known(Int64(buffer.readableBytes)), SingleChunk(buffer: buffer))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: any AsyncIteratorProtocol<ByteBuffer, any Error>

        public mutating func next() async throws -> ByteBuffer? {
            try await base.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: chunks.makeAsyncIterator())
    }

    /// Reads the whole body into one buffer, refusing more than `limit` bytes; for small bodies only.
    public func collect(upTo limit: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await var chunk in self {
            guard collected.readableBytes + chunk.readableBytes <= limit else {
                throw GatewayError(.payloadTooLarge, "The body is larger than \(limit) bytes.")
            }
            collected.writeBuffer(&chunk)
        }
        return collected
    }
}

/// One in-memory chunk, yielded once (empty buffers yield nothing).
private struct SingleChunk: AsyncSequence, Sendable {
    let buffer: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?

        mutating func next() async throws -> ByteBuffer? {
            defer { buffer = nil }
            guard let buffer, buffer.readableBytes > 0 else { return nil }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}
