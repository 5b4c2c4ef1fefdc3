/// A stored file's metadata, as every dialect's file object carries it.
public struct FileObject: Hashable, Sendable {
    public var id: String
    /// Size in bytes; `nil` where a backend did not say (DESIGN.md "Reading answers": filled from what filegate counted).
    public var bytes: Int64?
    /// Unix seconds.
    public var createdAt: Int64
    public var filename: String
    public var purpose: Purpose
    public var status: FileStatus
    public var statusDetails: String?
    /// Unix seconds; present only when the file was created with `expires_after`.
    public var expiresAt: Int64?

    public init(
        id: String,
        bytes: Int64?,
        createdAt: Int64,
        filename: String,
        purpose: Purpose,
        status: FileStatus,
        statusDetails: String? = nil,
        expiresAt: Int64? = nil
    ) {
        self.id = id
        self.bytes = bytes
        self.createdAt = createdAt
        self.filename = filename
        self.purpose = purpose
        self.status = status
        self.statusDetails = statusDetails
        self.expiresAt = expiresAt
    }
}

/// One page of a file list. `first_id` / `last_id` are derived from `data` when rendered.
public struct FileList: Hashable, Sendable {
    public var data: [FileObject]
    public var hasMore: Bool

    public init(data: [FileObject], hasMore: Bool) {
        self.data = data
        self.hasMore = hasMore
    }
}

/// The answer to a delete.
public struct FileDeletion: Hashable, Sendable {
    public var id: String
    public var deleted: Bool

    public init(id: String, deleted: Bool = true) {
        self.id = id
        self.deleted = deleted
    }
}
