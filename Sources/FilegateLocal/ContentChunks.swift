import FilegateCore
import Glibc
import NIOCore

/// A stored file's bytes from `start` up to `end`, as an async sequence of chunks read on the thread pool as the
/// consumer pulls.
///
/// Nothing is read ahead: each `next()` reads one chunk with `pread`, so a consumer that stops pulling stops the
/// reads, and memory stays at one chunk. It ends after exactly `end - start` bytes; a file that turns out shorter
/// than the size seen at open throws, so a cut body looks cut.
struct ContentChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: OpenedFile
    let chunkSize: Int
    let start: Int64
    let end: Int64

    struct AsyncIterator: AsyncIteratorProtocol {
        /// Dropped once reading ends, so the descriptor closes when the sequence goes too.
        var file: OpenedFile?
        let chunkSize: Int
        var offset: Int64
        let end: Int64

        mutating func next() async throws -> ByteBuffer? {
            guard let file, offset < end else {
                file = nil
                return nil
            }
            let count = Int(Swift.min(Int64(chunkSize), end - offset))
            let offset = offset
            let chunk: ByteBuffer
            do {
                chunk = try await file.io.run { try file.read(count: count, at: offset) }
            } catch {
                self.file = nil
                throw error
            }
            self.offset += Int64(chunk.readableBytes)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(file: file, chunkSize: chunkSize, offset: start, end: end)
    }
}

/// An open, read-only descriptor of a stored file, closed (on the thread pool) when the last reference goes.
///
/// Reads use `pread` at explicit offsets, so no file position is shared and the type is Sendable by its lets.
final class OpenedFile: Sendable {
    let descriptor: CInt
    let size: Int64
    let io: BlockingIO

    init(descriptor: CInt, size: Int64, io: BlockingIO) {
        self.descriptor = descriptor
        self.size = size
        self.io = io
    }

    /// The file ended before the size seen at open: something outside filegate cut it.
    struct TruncatedError: Error {}

    deinit {
        let descriptor = descriptor
        io.runDetached { _ = close(descriptor) }
    }

    /// Reads up to `count` bytes at `offset`, retrying short reads; blocking, so call it on the pool.
    func read(count: Int, at offset: Int64) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        while buffer.readableBytes < count {
            let wanted = count - buffer.readableBytes
            let position = offset + Int64(buffer.readableBytes)
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: wanted) { destination in
                while true {
                    let got = pread(descriptor, destination.baseAddress, wanted, off_t(position))
                    if got >= 0 { return got }
                    guard errno == EINTR else { throw SystemCallError("pread") }
                }
            }
            guard got > 0 else { throw TruncatedError() }
        }
        return buffer
    }
}
