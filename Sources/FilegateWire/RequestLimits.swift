/// Bounds on what `RequestParser` holds for one request, so a client cannot make it buffer without end.
public struct RequestLimits: Hashable, Sendable {
    /// Longest request line, CRLF excluded; longer is 414.
    public var maxRequestLineBytes: Int
    /// Largest header section (every field line with its CRLF); larger is 431. Also bounds chunked trailers.
    public var maxHeaderBytes: Int
    /// Most header fields; more is 431. Also bounds chunked trailers.
    public var maxHeaderCount: Int
    /// Most chunk-extension bytes over a whole chunked body; more is 400 (extensions are otherwise unbounded work).
    public var maxChunkExtensionBytes: Int

    public init(
        maxRequestLineBytes: Int = 8192,
        maxHeaderBytes: Int = 32768,
        maxHeaderCount: Int = 100,
        maxChunkExtensionBytes: Int = 4096
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxChunkExtensionBytes = maxChunkExtensionBytes
    }
}
