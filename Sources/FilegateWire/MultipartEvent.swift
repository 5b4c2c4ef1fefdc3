public import NIOCore

/// What `MultipartParser` read: for each part a head, data chunks and an end; then the end of the body.
public enum MultipartEvent: Hashable, Sendable {
    case partHead(MultipartPartHead)
    /// Part data, a slice of the parser's input.
    case partBody(ByteBuffer)
    case partEnd
    /// The close delimiter was read; anything after it (the epilogue) is ignored.
    case end
}
