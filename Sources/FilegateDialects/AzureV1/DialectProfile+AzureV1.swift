import FilegateCore

extension DialectProfile {
    /// Azure v1's column of DESIGN.md's side-by-side table (`/openai/v1/files`, seeds/azure-v1-files.txt); `v1`
    /// and `preview` behave alike for files.
    public static let azureV1 = DialectProfile(
        requestIDHeader: "apim-request-id",
        createStatus: 200,
        createHasLocation: false,
        deleteAnswer: .body,
        statusWords: .v1,
        createPurposes: [.assistants, .batch, .fineTune, .evals],
        expiresAfterRange: 259_200...2_592_000,
        pagesLists: true,
        hasUploads: true,
        errorShape: .azureV1
    )
}
