import NIOCore
import Testing

@testable import FilegateRemote

/// The queue between curl and a task: counts, watermarks, slices.
@Suite struct BoundedByteQueueTests {
    @Test func countsBytesAcrossChunksAndReportsWatermarks() {
        var queue = BoundedByteQueue(highWatermark: 10, lowWatermark: 4)
        #expect(queue.isEmpty && queue.isDrained && !queue.isFull)
        queue.append(ByteBuffer(string: "abcdef"))
        #expect(queue.canAccept(4))
        #expect(!queue.canAccept(5))
        queue.append(ByteBuffer(string: "ghij"))
        #expect(queue.byteCount == 10)
        #expect(queue.isFull && !queue.isDrained)
        #expect(queue.popFirst() == ByteBuffer(string: "abcdef"))
        #expect(queue.byteCount == 4)
        #expect(queue.isDrained)
    }

    @Test func popFirstUpToSlicesTheOldestChunk() {
        var queue = BoundedByteQueue(highWatermark: 10, lowWatermark: 4)
        queue.append(ByteBuffer(string: "abcdef"))
        queue.append(ByteBuffer(string: "gh"))
        #expect(queue.popFirst(upTo: 4) == ByteBuffer(string: "abcd"))
        #expect(queue.popFirst(upTo: 4) == ByteBuffer(string: "ef"))
        #expect(queue.popFirst(upTo: 4) == ByteBuffer(string: "gh"))
        #expect(queue.popFirst(upTo: 4) == nil)
        #expect(queue.byteCount == 0)
    }

    @Test func emptyChunksAreNotQueued() {
        var queue = BoundedByteQueue(highWatermark: 10, lowWatermark: 4)
        queue.append(ByteBuffer())
        #expect(queue.popFirst() == nil)
    }

    @Test func removeAllEmptiesTheQueue() {
        var queue = BoundedByteQueue(highWatermark: 10, lowWatermark: 4)
        queue.append(ByteBuffer(string: "abc"))
        queue.removeAll()
        #expect(queue.byteCount == 0)
        #expect(queue.popFirst() == nil)
    }
}
