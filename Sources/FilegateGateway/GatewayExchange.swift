public import FilegateCore
public import FilegateWire
public import NIOCore

/// One client request as the listener hands it to the gateway.
public struct GatewayRequest: Sendable {
    public var head: RequestHead
    /// The request's body, pulled as the gateway needs it; the listener stops reading the socket while it is full.
    public var body: Body
    /// Writes `100 Continue`, for a request that sent `Expect: 100-continue`, once its checks have passed.
    public var sendContinue: @Sendable () async throws -> Void

    public init(head: RequestHead, body: Body, sendContinue: @escaping @Sendable () async throws -> Void) {
        self.head = head
        self.body = body
        self.sendContinue = sendContinue
    }
}

/// The gateway's answer; the listener adds framing (`Content-Length` or chunking) and connection headers.
public struct GatewayResponse: Sendable {
    public enum Content: Sendable {
        case empty
        case buffer(ByteBuffer)
        /// Streamed as the client reads; a failure mid-way cuts the connection so the body looks cut.
        case stream(Body)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var content: Content

    public init(status: Int, headers: HTTPHeaders, content: Content) {
        self.status = status
        self.headers = headers
        self.content = content
    }
}
