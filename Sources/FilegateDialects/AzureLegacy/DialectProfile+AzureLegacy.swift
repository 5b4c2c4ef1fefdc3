import FilegateCore

extension DialectProfile {
    /// The dated API's profile for `version`: DESIGN.md "Versions", the row whose start date is the latest on or
    /// before the version's date (previews follow their date).
    public static func azureLegacy(_ version: LegacyAPIVersion) -> DialectProfile {
        let row =
            LegacyVersionRow.table.last { version.isOnOrAfter($0.year, $0.month, $0.day) }
            ?? LegacyVersionRow.table[0]
        return DialectProfile(
            requestIDHeader: "apim-request-id",
            createStatus: 201,
            createHasLocation: true,
            deleteAnswer: row.deleteAnswer,
            statusWords: row.statusWords,
            createPurposes: row.createPurposes,
            expiresAfterRange: nil,
            pagesLists: false,
            hasUploads: row.hasUploads,
            errorShape: .azureLegacy
        )
    }
}

/// One row of DESIGN.md's "Versions" table: what the dated API does from a given date on.
private struct LegacyVersionRow {
    var year: Int
    var month: Int
    var day: Int
    var statusWords: StatusVocabulary
    var deleteAnswer: DialectProfile.DeleteAnswer
    var hasUploads: Bool
    var createPurposes: Set<Purpose>

    /// The rows in date order; the first starts at `LegacyAPIVersion.oldest`.
    static let table: [LegacyVersionRow] = [
        LegacyVersionRow(
            year: 2022,
            month: 12,
            day: 1,
            statusWords: .legacyOld,
            deleteAnswer: .noContent,
            hasUploads: false,
            createPurposes: [.fineTune, .fineTuneResults]
        ),
        LegacyVersionRow(
            year: 2024,
            month: 5,
            day: 1,
            statusWords: .legacyOld,
            deleteAnswer: .noContent,
            hasUploads: false,
            createPurposes: [.fineTune, .fineTuneResults, .assistants, .assistantsOutput]
        ),
        LegacyVersionRow(
            year: 2024,
            month: 6,
            day: 1,
            statusWords: .v1,
            deleteAnswer: .noContent,
            hasUploads: false,
            createPurposes: [.fineTune, .fineTuneResults]
        ),
        LegacyVersionRow(
            year: 2024,
            month: 8,
            day: 1,
            statusWords: .v1,
            deleteAnswer: .noContent,
            hasUploads: true,
            createPurposes: [.fineTune, .fineTuneResults, .assistants, .assistantsOutput, .batch]
        ),
        LegacyVersionRow(
            year: 2024,
            month: 10,
            day: 1,
            statusWords: .v1,
            deleteAnswer: .body,
            hasUploads: true,
            createPurposes: [.fineTune, .fineTuneResults, .assistants, .assistantsOutput, .batch]
        ),
    ]
}
