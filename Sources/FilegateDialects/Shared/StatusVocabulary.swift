public import FilegateCore

/// A set of words for `FileStatus` (DESIGN.md "Status words").
///
/// Canonical words are v1's. Writing depends on the client's dialect; reading accepts every vocabulary, whatever
/// the backend's dialect, because Azure's 2024-06-01 examples still show the old words.
public enum StatusVocabulary: Sendable, Hashable, CaseIterable {
    /// uploaded, processed, error; a deleting or deleted file does not exist for an OpenAI client.
    case openAI
    /// The canonical words, as written.
    case v1
    /// The dated API's words before 2024-06-01 (its `State` enum).
    case legacyOld

    /// The word for `status`, or `nil` when a client of this vocabulary must not see the file at all.
    public func word(for status: FileStatus) -> String? {
        switch self {
        case .v1:
            status.rawValue
        case .openAI:
            switch status {
            case .pending, .running, .uploaded: FileStatus.uploaded.rawValue
            case .processed, .error: status.rawValue
            case .deleting, .deleted: nil
            }
        case .legacyOld:
            LegacyStatusWords.word(for: status)
        }
    }

    /// Reads a status word of any vocabulary; `nil` for a word none of them has.
    public static func read(_ word: String) -> FileStatus? {
        FileStatus(rawValue: word) ?? LegacyStatusWords.status(for: word)
    }
}
