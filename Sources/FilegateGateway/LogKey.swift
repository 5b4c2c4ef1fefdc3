/// Log metadata keys, in one place so every line names things the same way.
public enum LogKey {
    public static let requestID = "filegate.request_id"
    public static let client = "filegate.client"
    public static let backend = "filegate.backend"
    public static let operation = "filegate.operation"
    public static let status = "filegate.status"
    public static let errorCode = "filegate.error_code"
    public static let listenAddress = "filegate.listen_address"
}
