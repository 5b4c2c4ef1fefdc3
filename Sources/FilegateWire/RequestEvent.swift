public import NIOCore

/// What `RequestParser` read: a head, then zero or more body chunks, then the end of that request.
public enum RequestEvent: Hashable, Sendable {
    case head(RequestHead)
    /// Body bytes, a slice of the parser's input (chunked framing already removed).
    case body(ByteBuffer)
    /// The request's body is complete; the next event belongs to the next request on the connection.
    case end
}
