import NIOCore
import Testing

@testable import FilegateHTTP

/// What a connection keeps of its receive buffers, driven through NIO's own per-channel pool with the listener's
/// settings: it must not keep a buffer as large as an upload's reads once grew.
@Suite struct ReceiveBufferTests {
    /// A channel's receive pool as the listener configures it.
    static func listenerPool() -> NIOPooledRecvBufferAllocator {
        NIOPooledRecvBufferAllocator(
            capacity: Int(HTTPServer.maxMessagesPerRead),
            recvAllocator: HTTPServer.receiveAllocator
        )
    }

    /// One socket read of `count` bytes (nil: as many as the buffer takes), as the channel does it; the bytes are
    /// handled and dropped before the next read.
    static func read(_ count: Int?, from pool: inout NIOPooledRecvBufferAllocator) -> Int {
        let (buffer, _) = pool.buffer(allocator: ByteBufferAllocator()) { buffer in
            buffer.writeRepeatingByte(0x61, count: count ?? buffer.writableBytes)
        }
        pool.record(actualReadBytes: buffer.readableBytes)
        return buffer.capacity
    }

    @Test func readsGrowWhileAnUploadFillsThemAndShrinkAfter() {
        var pool = Self.listenerPool()
        let uploadReads = (0..<12).map { _ in Self.read(nil, from: &pool) }
        #expect(uploadReads.first == 2048)
        #expect(uploadReads.last == 256 * 1024)
        let laterReads = (0..<200).map { _ in Self.read(300, from: &pool) }
        // NIO's pool kept the grown buffers and handed them out again: every later read landed in 256 KiB.
        #expect(laterReads.suffix(10).allSatisfy { $0 <= 1024 }, "\(laterReads.suffix(10))")
    }

    @Test func theListenerKeepsOnlyTheFirstReadsBuffer() {
        var pool = Self.listenerPool()
        for _ in 0..<12 { _ = Self.read(nil, from: &pool) }
        #expect(pool.count == 1)
    }
}
