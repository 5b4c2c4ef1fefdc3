/// How a request's body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Hashable, Sendable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding`.
    case none
    /// Exactly that many bytes follow the head.
    case length(Int64)
    /// `Transfer-Encoding: chunked`; the length is known only at the last chunk.
    case chunked
}
