/// What a client asked for, parsed from a request head in any dialect.
///
/// A create's fields and content travel in its multipart body, which the gateway streams after auth; the head
/// only says that it is a create.
public enum Operation: Hashable, Sendable {
    case createFile
    case listFiles(ListQuery)
    case retrieveFile(FileID)
    case deleteFile(FileID)
    case fileContent(FileID)

    /// A stable name for logs and metrics.
    public var name: String {
        switch self {
        case .createFile: "create_file"
        case .listFiles: "list_files"
        case .retrieveFile: "retrieve_file"
        case .deleteFile: "delete_file"
        case .fileContent: "file_content"
        }
    }
}
