import CFilegateCurl
import NIOCore

/// The copies into and out of curl's buffers, the one copy of every body byte that libcurl's callbacks force, made by
/// `fg_copy_bytes` rather than memcpy (its comment says why: memcpy's `rep movsb` ran them ten times slower).
extension ByteBuffer {
    /// A buffer holding exactly the bytes curl handed to its write callback.
    init(curlBytes bytes: UnsafeRawBufferPointer) {
        self = ByteBufferAllocator().buffer(capacity: bytes.count)
        writeCurlBytes(bytes)
    }

    /// Appends bytes curl handed to its write callback.
    mutating func writeCurlBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        writeWithUnsafeMutableBytes(minimumWritableBytes: bytes.count) { destination in
            fg_copy_bytes(destination.baseAddress, source, bytes.count)
            return bytes.count
        }
    }

    /// Copies the readable bytes into the buffer curl's read callback fills, which has room for them; returns how many.
    func copyReadableBytes(intoCurlBuffer buffer: UnsafeMutableRawBufferPointer) -> Int {
        withUnsafeReadableBytes { bytes in
            precondition(bytes.count <= buffer.count, "curl's buffer holds the chunk")
            if let source = bytes.baseAddress, !bytes.isEmpty {
                fg_copy_bytes(buffer.baseAddress, source, bytes.count)
            }
            return bytes.count
        }
    }
}
