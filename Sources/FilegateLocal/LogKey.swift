/// Logger metadata keys the local backend writes (STYLE.md §2: one enum of constants).
enum LogKey {
    static let fileID = "filegate.file_id"
    static let operation = "filegate.operation"
    static let error = "filegate.error"
    static let count = "filegate.count"
    static let directory = "filegate.local.directory"
    static let temporaryFiles = "filegate.local.temporary_files"
    static let orphans = "filegate.local.orphans"
}
