/// A place files live: the embedded local store or a remote Files API, in canonical terms.
///
/// The gateway has checked auth, the id's shape and the multipart form before it calls; a backend checks what
/// only it knows (its purposes and expiry range, whether an id exists) and answers with `GatewayError`.
public protocol Backend: Sendable {
    /// Purposes this backend takes on create (DESIGN.md "Purposes").
    var purposes: Set<Purpose> { get }

    /// The `expires_after` seconds this backend accepts (DESIGN.md "expires_after").
    var expiresAfterRange: ClosedRange<Int64> { get }

    /// Stores `content` as a new file. The content is streamed: the backend pulls it chunk by chunk.
    func createFile(_ file: NewFile, content: Body) async throws(GatewayError) -> FileObject

    func listFiles(_ query: ListQuery) async throws(GatewayError) -> FileList

    func retrieveFile(_ id: FileID) async throws(GatewayError) -> FileObject

    func deleteFile(_ id: FileID) async throws(GatewayError) -> FileDeletion

    /// The file's bytes, streamed as the consumer pulls them.
    func fileContent(_ id: FileID) async throws(GatewayError) -> FileContent
}

/// A file's content on its way to a client.
public struct FileContent: Sendable {
    public var contentType: String
    public var body: Body

    public init(contentType: String = "application/octet-stream", body: Body) {
        self.contentType = contentType
        self.body = body
    }
}
