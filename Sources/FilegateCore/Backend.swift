/// A place files live: the embedded local store or a remote Files API, in canonical terms.
///
/// The gateway has checked auth, the id's shape and the multipart form before it calls; a backend checks what
/// only it knows (its purposes and expiry range, whether an id exists) and answers with `GatewayError`.
public protocol Backend: Sendable {
    /// Stores `content` as a new file. The content is streamed: the backend pulls it chunk by chunk, and checks the
    /// purpose and expiry before it pulls the first one.
    func createFile(
        _ file: NewFile,
        content: Body,
        context: inout BackendContext
    ) async throws(GatewayError) -> FileObject

    func listFiles(_ query: ListQuery, context: inout BackendContext) async throws(GatewayError) -> FileList

    func retrieveFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileObject

    func deleteFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileDeletion

    /// The file's bytes, streamed as the consumer pulls them.
    func fileContent(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileContent
}

/// What passes between the gateway and a backend besides the operation, both ways.
///
/// In: the request's id and the client headers DESIGN.md's allowlist lets through. Out: headers the backend's answer
/// hands on to the client (`Retry-After`, `x-ratelimit-*`, a content part's `Content-Range`) and the upstream's
/// request id, which the client sees in its own dialect's request-id header. Of these the embedded backend reads
/// only `Range` and answers only `Content-Range`.
public struct BackendContext: Sendable {
    public var requestID: String
    public var forwardedHeaders: [(name: String, value: String)]
    public var answerHeaders: [(name: String, value: String)]
    public var upstreamRequestID: String?

    public init(requestID: String, forwardedHeaders: [(name: String, value: String)] = []) {
        self.requestID = requestID
        self.forwardedHeaders = forwardedHeaders
        self.answerHeaders = []
        self.upstreamRequestID = nil
    }
}

/// A file's content on its way to a client.
public struct FileContent: Sendable {
    public var contentType: String
    public var body: Body
    /// Whether `body` is only the part of the file the client's `Range` asked for (an upstream's 206, or the part
    /// the local store read), so the client is answered 206: a part answered 200 would look like the whole file.
    public var isPartial: Bool

    public init(contentType: String = "application/octet-stream", body: Body, isPartial: Bool = false) {
        self.contentType = contentType
        self.body = body
        self.isPartial = isPartial
    }
}
