public import NIOCore

/// Writes a body with `Transfer-Encoding: chunked` framing (RFC 9112 §7.1), for answers of unknown length.
public enum ChunkedEncoding {
    /// Writes `chunk` as one chunk; an empty chunk writes nothing, since a zero-size chunk would end the body.
    public static func writeChunk(_ chunk: ByteBuffer, into buffer: inout ByteBuffer) {
        guard chunk.readableBytes > 0 else { return }
        buffer.writeString(String(chunk.readableBytes, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(chunk)
        buffer.writeStaticString("\r\n")
    }

    /// Writes the last chunk and an empty trailer section, ending the body.
    public static func writeLastChunk(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("0\r\n\r\n")
    }
}
