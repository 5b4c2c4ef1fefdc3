import FilegateCore
import FilegateDialects
import Testing

@Suite("DialectProfile")
struct DialectProfileTests {
    static let fineTuning: Set<Purpose> = [.fineTune, .fineTuneResults]
    static let withAssistants: Set<Purpose> = fineTuning.union([.assistants, .assistantsOutput])
    static let withBatch: Set<Purpose> = withAssistants.union([.batch])

    /// DESIGN.md "Versions": (api-version, status words, delete answer, uploads, purposes taken on create).
    static let versionRows: [(String, StatusVocabulary, DialectProfile.DeleteAnswer, Bool, Set<Purpose>)] = [
        ("2022-12-01", .legacyOld, .noContent, false, fineTuning),
        ("2023-05-15", .legacyOld, .noContent, false, fineTuning),
        ("2024-04-30", .legacyOld, .noContent, false, fineTuning),
        ("2024-05-01-preview", .legacyOld, .noContent, false, withAssistants),
        ("2024-05-31-preview", .legacyOld, .noContent, false, withAssistants),
        ("2024-06-01", .v1, .noContent, false, fineTuning),
        ("2024-07-01-preview", .v1, .noContent, false, fineTuning),
        ("2024-07-31", .v1, .noContent, false, fineTuning),
        ("2024-08-01-preview", .v1, .noContent, true, withBatch),
        ("2024-09-01-preview", .v1, .noContent, true, withBatch),
        ("2024-09-30", .v1, .noContent, true, withBatch),
        ("2024-10-01-preview", .v1, .body, true, withBatch),
        ("2024-10-21", .v1, .body, true, withBatch),
        ("2025-04-01-preview", .v1, .body, true, withBatch),
    ]

    @Test("the dated profile follows DESIGN.md's Versions table", arguments: versionRows)
    func legacyRows(
        _ text: String,
        words: StatusVocabulary,
        delete: DialectProfile.DeleteAnswer,
        uploads: Bool,
        purposes: Set<Purpose>
    ) throws {
        let profile = Dialect.azureLegacy(try #require(LegacyAPIVersion(text))).profile
        #expect(profile.statusWords == words)
        #expect(profile.deleteAnswer == delete)
        #expect(profile.hasUploads == uploads)
        #expect(profile.createPurposes == purposes)
        #expect(profile.requestIDHeader == "apim-request-id")
        #expect(profile.createStatus == 201)
        #expect(profile.createHasLocation)
        #expect(profile.expiresAfterRange == nil)
        #expect(profile.pagesLists == false)
        #expect(profile.errorShape == .azureLegacy)
    }

    @Test("OpenAI's column")
    func openAI() {
        let profile = Dialect.openAI.profile
        #expect(profile.requestIDHeader == "x-request-id")
        #expect(profile.createStatus == 200)
        #expect(profile.createHasLocation == false)
        #expect(profile.deleteAnswer == .body)
        #expect(profile.statusWords == .openAI)
        #expect(profile.createPurposes == [.assistants, .batch, .fineTune, .vision, .userData, .evals])
        #expect(profile.expiresAfterRange == 3600...2_592_000)
        #expect(profile.pagesLists)
        #expect(profile.errorShape == .openAI)
    }

    @Test("Azure v1's column, alike for v1 and preview", arguments: AzureV1Version.allCases)
    func azureV1(_ version: AzureV1Version) {
        let profile = Dialect.azureV1(version).profile
        #expect(profile.requestIDHeader == "apim-request-id")
        #expect(profile.createStatus == 200)
        #expect(profile.createHasLocation == false)
        #expect(profile.deleteAnswer == .body)
        #expect(profile.statusWords == .v1)
        #expect(profile.createPurposes == [.assistants, .batch, .fineTune, .evals])
        #expect(profile.expiresAfterRange == 259_200...2_592_000)
        #expect(profile.pagesLists)
        #expect(profile.errorShape == .azureV1)
    }

    @Test("every dialect's create purposes lie inside Purpose.creatable")
    func purposesAreCreatable() throws {
        let dialects: [Dialect] = [.openAI, .azureV1(.v1), .azureLegacy(try #require(LegacyAPIVersion("2024-10-21")))]
        for dialect in dialects {
            #expect(dialect.profile.createPurposes.subtracting(Purpose.creatable) == [])
        }
    }

    /// DESIGN.md "Status words": (status, OpenAI word, v1 word, old word).
    static let statusRows: [(FileStatus, String?, String, String)] = [
        (.uploaded, "uploaded", "uploaded", "notRunning"),
        (.pending, "uploaded", "pending", "notRunning"),
        (.running, "uploaded", "running", "running"),
        (.processed, "processed", "processed", "succeeded"),
        (.error, "error", "error", "failed"),
        (.deleting, nil, "deleting", "deleted"),
        (.deleted, nil, "deleted", "deleted"),
    ]

    @Test("status words written per vocabulary", arguments: statusRows)
    func statusWords(_ status: FileStatus, openAI: String?, v1: String, old: String) {
        #expect(StatusVocabulary.openAI.word(for: status) == openAI)
        #expect(StatusVocabulary.v1.word(for: status) == v1)
        #expect(StatusVocabulary.legacyOld.word(for: status) == old)
    }

    @Test(
        "status words read from every vocabulary",
        arguments: [
            ("notRunning", FileStatus.pending), ("running", .running), ("succeeded", .processed), ("failed", .error),
            ("canceled", .error), ("deleted", .deleted), ("uploaded", .uploaded), ("pending", .pending),
            ("processed", .processed), ("error", .error), ("deleting", .deleting),
        ]
    )
    func readWords(_ word: String, status: FileStatus) {
        #expect(StatusVocabulary.read(word) == status)
    }

    @Test("unknown status words are not read", arguments: ["", "Succeeded", "done", "cancelled"])
    func unknownWords(_ word: String) {
        #expect(StatusVocabulary.read(word) == nil)
    }
}
