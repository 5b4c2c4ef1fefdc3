import NIOCore

/// Sizes socket reads as NIO's adaptive allocator does, with a fresh buffer for every read, so an idle connection
/// holds no large receive buffer.
///
/// Given a size hint, a NIO channel keeps the buffers it read into for reuse, up to `maxMessagesPerRead` of them,
/// each as large as reads ever grew on that connection: after one 4 MiB upload an idle keep-alive connection kept
/// about 1 MiB until it closed, and 2,000 such connections held 1 GiB. Without a hint, and with every read saying
/// the next may be larger, the channel allocates each read's buffer anew and reuses none; the buffer goes when the
/// bytes read into it have been handled.
struct FreshRecvBufferAllocator: RecvByteBufferAllocator {
    private var sizes: AdaptiveRecvByteBufferAllocator

    init(minimum: Int, initial: Int, maximum: Int) {
        sizes = AdaptiveRecvByteBufferAllocator(minimum: minimum, initial: initial, maximum: maximum)
    }

    func buffer(allocator: ByteBufferAllocator) -> ByteBuffer {
        sizes.buffer(allocator: allocator)
    }

    /// No hint: the channel then reuses a kept buffer only when the last read said the next cannot be larger.
    func nextBufferSize() -> Int? { nil }

    /// Always true ("the next read may need a larger buffer"), so the channel never reuses a kept buffer.
    mutating func record(actualReadBytes: Int) -> Bool {
        _ = sizes.record(actualReadBytes: actualReadBytes)
        return true
    }
}
