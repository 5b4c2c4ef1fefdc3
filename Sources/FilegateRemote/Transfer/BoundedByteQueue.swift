import NIOCore

/// A FIFO of byte chunks with high and low watermarks, the buffer between curl and a Swift task.
///
/// The queue itself never refuses bytes; its owner asks `canAccept(_:)` before appending and stops the producer
/// (curl, or the task pulling a request body) above `highWatermark`, and restarts it once `isDrained`, at or below
/// `lowWatermark` (NIO's `HighLowWatermark` strategy, STYLE.md §6).
struct BoundedByteQueue: Sendable {
    let highWatermark: Int
    let lowWatermark: Int
    /// The bytes held, over all chunks.
    private(set) var byteCount = 0
    private var chunks = CircularBuffer<ByteBuffer>()

    init(highWatermark: Int, lowWatermark: Int) {
        precondition(0 <= lowWatermark && lowWatermark < highWatermark, "the low watermark lies below the high one")
        self.highWatermark = highWatermark
        self.lowWatermark = lowWatermark
    }

    var isEmpty: Bool { byteCount == 0 }

    /// Whether `count` more bytes stay within the high watermark; an empty queue takes any one chunk, so a chunk
    /// larger than the bound still moves.
    func canAccept(_ count: Int) -> Bool {
        byteCount == 0 || byteCount + count <= highWatermark
    }

    /// Whether the queue holds at least the high watermark, so a producer should wait.
    var isFull: Bool { byteCount >= highWatermark }

    /// Whether the queue is at or below the low watermark, so a stopped producer may start again.
    var isDrained: Bool { byteCount <= lowWatermark }

    mutating func append(_ chunk: ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        byteCount += chunk.readableBytes
        chunks.append(chunk)
    }

    /// Removes and returns the oldest chunk.
    mutating func popFirst() -> ByteBuffer? {
        guard let chunk = chunks.popFirst() else { return nil }
        byteCount -= chunk.readableBytes
        return chunk
    }

    /// Removes and returns up to `limit` bytes from the front, as a slice of the oldest chunk (no copy).
    mutating func popFirst(upTo limit: Int) -> ByteBuffer? {
        guard limit > 0, var first = chunks.first else { return nil }
        guard first.readableBytes > limit else { return popFirst() }
        let slice = first.readSlice(length: limit)
        chunks[chunks.startIndex] = first
        byteCount -= limit
        return slice
    }

    /// Drops every chunk, for a transfer that ended. The ring's small array is kept: giving it up would allocate
    /// a new one, twice for every transfer that ends.
    mutating func removeAll() {
        chunks.removeAll(keepingCapacity: true)
        byteCount = 0
    }
}
