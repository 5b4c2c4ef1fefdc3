import FilegateCore
import GRDB

/// One row of the `file` table: a stored file's metadata as the local backend keeps it.
///
/// `seq` is the insertion sequence, SQLite's AUTOINCREMENT key, set on insert; with `createdAt` it orders lists.
struct StoredFile: Hashable, Sendable {
    var id: String
    var filename: String
    var purpose: Purpose
    var bytes: Int64
    var createdAt: Int64
    var expiresAt: Int64?

    /// The canonical object: a stored file is always whole, so always `processed`.
    var fileObject: FileObject {
        FileObject(
            id: id,
            bytes: bytes,
            createdAt: createdAt,
            filename: filename,
            purpose: purpose,
            status: .processed,
            expiresAt: expiresAt
        )
    }
}

extension StoredFile: FetchableRecord, PersistableRecord {
    static let databaseTableName = "file"

    init(row: Row) throws {
        id = try row.decode(forColumn: "id")
        filename = try row.decode(forColumn: "filename")
        purpose = Purpose(rawValue: try row.decode(forColumn: "purpose"))
        bytes = try row.decode(forColumn: "bytes")
        createdAt = try row.decode(forColumn: "created_at")
        expiresAt = try row.decode(forColumn: "expires_at")
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["filename"] = filename
        container["purpose"] = purpose.rawValue
        container["bytes"] = bytes
        container["created_at"] = createdAt
        container["expires_at"] = expiresAt
    }
}
