import NIOCore

/// The response body as `Body` iterates it: chunks pulled from the transfer. When the last copy of the sequence
/// and its iterators is gone, the reader cancels a transfer still running.
final class ResponseBodyReader: Sendable {
    let transfer: Transfer

    init(transfer: Transfer) {
        self.transfer = transfer
    }

    deinit {
        transfer.cancel(.transferCancelled)
    }

    var chunks: Chunks { Chunks(reader: self) }

    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let reader: ResponseBodyReader

        struct AsyncIterator: AsyncIteratorProtocol {
            let reader: ResponseBodyReader

            mutating func next() async throws -> ByteBuffer? {
                try await reader.transfer.nextChunk()
            }
        }

        func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(reader: reader)
        }
    }
}
