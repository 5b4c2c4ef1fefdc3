import FilegateCore

/// The dated API's status words before 2024-06-01 (the 2023-05-15 `State` enum), DESIGN.md "Status words".
///
/// The only place filegate spells them: Azure's 2024-06-01 seed examples still answer with them, so every decoder
/// reads them, but filegate writes them only to clients of versions before 2024-06-01.
enum LegacyStatusWords {
    /// Writing: pending/uploaded → notRunning, running → running, processed → succeeded, error → failed,
    /// deleting/deleted → deleted.
    static func word(for status: FileStatus) -> String {
        switch status {
        case .pending, .uploaded: "notRunning"
        case .running: "running"
        case .processed: "succeeded"
        case .error: "failed"
        case .deleting, .deleted: "deleted"
        }
    }

    /// Reading: notRunning → pending, succeeded → processed, failed and canceled → error; `nil` for other words
    /// (running and deleted are also v1 words and read as such).
    static func status(for word: String) -> FileStatus? {
        switch word {
        case "notRunning": .pending
        case "succeeded": .processed
        case "failed", "canceled": .error
        default: nil
        }
    }
}
