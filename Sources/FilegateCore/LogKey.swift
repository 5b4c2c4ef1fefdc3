/// Log metadata keys, in one place so every module names things the same way (STYLE.md §2).
public enum LogKey {
    public static let requestID = "filegate.request_id"
    public static let upstreamRequestID = "filegate.upstream_request_id"
    public static let client = "filegate.client"
    public static let backend = "filegate.backend"
    public static let operation = "filegate.operation"
    public static let status = "filegate.status"
    public static let errorCode = "filegate.error_code"
    public static let underlying = "filegate.underlying"
    public static let listenAddress = "filegate.listen_address"
    public static let fileID = "filegate.file_id"
    public static let error = "filegate.error"
    public static let count = "filegate.count"
    /// The most bytes a connection held for its client at once (written, not yet taken by the socket).
    public static let peakOutboundBytes = "filegate.peak_outbound_bytes"
    /// A client connection's address and port, as `host:port`.
    public static let peer = "filegate.peer"
    /// Which wait for a client ran out (`head`, `body`, `send`, `idle`).
    public static let timeout = "filegate.timeout"
    public static let directory = "filegate.local.directory"
    public static let temporaryFiles = "filegate.local.temporary_files"
    public static let orphans = "filegate.local.orphans"
}
