/// The headers of one `multipart/form-data` part, with its `Content-Disposition` parameters parsed.
public struct MultipartPartHead: Hashable, Sendable {
    /// The form field name (`name` parameter of `Content-Disposition: form-data`).
    public var name: String
    /// The `filename` parameter, when the part is a file.
    public var filename: String?
    /// The part's `Content-Type`, as sent.
    public var contentType: String?
    /// Every header of the part, as sent, for a rewriter that passes parts on.
    public var headers: HTTPHeaders

    public init(
        name: String,
        filename: String? = nil,
        contentType: String? = nil,
        headers: HTTPHeaders = HTTPHeaders()
    ) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
    }
}
