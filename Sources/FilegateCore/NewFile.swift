/// What a create carries besides the content: the multipart form's fields, checked and canonical.
public struct NewFile: Hashable, Sendable {
    public var filename: String
    public var purpose: Purpose
    /// `expires_after[seconds]`, anchored at `created_at`; the range is the backend's to check.
    public var expiresAfterSeconds: Int64?

    public init(filename: String, purpose: Purpose, expiresAfterSeconds: Int64? = nil) {
        self.filename = filename
        self.purpose = purpose
        self.expiresAfterSeconds = expiresAfterSeconds
    }
}
