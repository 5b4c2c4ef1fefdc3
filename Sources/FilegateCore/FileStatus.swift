/// A file's processing state in v1's words, the canonical vocabulary (DESIGN.md "Status words").
///
/// Dialects with other words (OpenAI's three, the dated API's old ones) translate in their codecs.
public enum FileStatus: String, Hashable, Sendable, CaseIterable {
    case uploaded
    case pending
    case running
    case processed
    case error
    case deleting
    case deleted
}
