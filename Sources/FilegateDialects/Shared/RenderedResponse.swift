public import NIOCore

/// An answer for a client, complete but for the request id and the headers the gateway adds.
public struct RenderedResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: ByteBuffer?

    public init(status: Int, headers: [(String, String)] = [], body: ByteBuffer? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer with its `Content-Type`.
    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> RenderedResponse {
        RenderedResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: value.buffer)
    }
}
