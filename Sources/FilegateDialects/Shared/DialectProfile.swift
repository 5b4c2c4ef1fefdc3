public import FilegateCore

/// Everything that differs between dialects, as plain values: one per dialect, one per date range for the dated one.
///
/// Algorithms in `Shared/` read these fields instead of switching on the dialect, so a rule of DESIGN.md's table
/// lives in exactly one place (STYLE.md §4).
public struct DialectProfile: Sendable, Hashable {
    /// How a delete is answered.
    public enum DeleteAnswer: Sendable, Hashable {
        /// 200 with `{"id", "object": "file", "deleted"}`.
        case body
        /// 204 with no body (the dated API before 2024-10-01).
        case noContent
    }

    /// The header that carries the request id back to the client.
    public var requestIDHeader: String
    /// The status of a successful create: 200, or 201 on the dated root.
    public var createStatus: Int
    /// Whether a create's answer names the new file in `Location` (the dated root).
    public var createHasLocation: Bool
    public var deleteAnswer: DeleteAnswer
    /// The words file statuses are written in.
    public var statusWords: StatusVocabulary
    /// The purposes a server of this dialect takes on create: a backend's default `purposes`.
    public var createPurposes: Set<Purpose>
    /// The `expires_after` seconds a backend of this dialect takes; `nil` where the API keeps no expiry, so
    /// filegate keeps it itself and does not forward it (DESIGN.md "expires_after").
    public var expiresAfterRange: ClosedRange<Int64>?
    /// Whether a server of this dialect pages lists (`limit`, `order`, `after`, `has_more`); where not, filegate
    /// pages over the backend's full list (DESIGN.md "Paging a backend without paging").
    public var pagesLists: Bool
    /// Whether the uploads API (`…/uploads`) exists in this dialect.
    public var hasUploads: Bool
    /// The shape of error bodies and the table from canonical code to body fields.
    public var errorShape: ErrorShape

    public init(
        requestIDHeader: String,
        createStatus: Int,
        createHasLocation: Bool,
        deleteAnswer: DeleteAnswer,
        statusWords: StatusVocabulary,
        createPurposes: Set<Purpose>,
        expiresAfterRange: ClosedRange<Int64>?,
        pagesLists: Bool,
        hasUploads: Bool,
        errorShape: ErrorShape
    ) {
        self.requestIDHeader = requestIDHeader
        self.createStatus = createStatus
        self.createHasLocation = createHasLocation
        self.deleteAnswer = deleteAnswer
        self.statusWords = statusWords
        self.createPurposes = createPurposes
        self.expiresAfterRange = expiresAfterRange
        self.pagesLists = pagesLists
        self.hasUploads = hasUploads
        self.errorShape = errorShape
    }
}
