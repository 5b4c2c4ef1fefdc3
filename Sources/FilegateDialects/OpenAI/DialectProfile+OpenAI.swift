import FilegateCore

extension DialectProfile {
    /// OpenAI's column of DESIGN.md's side-by-side table (`/v1/files`, seeds/openai-files-and-uploads.txt).
    public static let openAI = DialectProfile(
        requestIDHeader: "x-request-id",
        createStatus: 200,
        createHasLocation: false,
        deleteAnswer: .body,
        statusWords: .openAI,
        createPurposes: [.assistants, .batch, .fineTune, .vision, .userData, .evals],
        expiresAfterRange: 3600...2_592_000,
        pagesLists: true,
        hasUploads: true,
        errorShape: .openAI
    )
}

extension ErrorRow {
    /// The OpenAI / v1 column of DESIGN.md's "Errors" table: `type` by status class, `code` null unless the
    /// official API names one (`invalid_api_key`, `rate_limit_exceeded`).
    static func openAI(_ code: GatewayError.Code) -> ErrorRow {
        switch code {
        case .invalidRequest, .unsupportedPurpose, .expiresAfterOutOfRange, .forbidden, .notFound, .methodNotAllowed,
            .requestTimeout, .payloadTooLarge, .uriTooLong, .rangeNotSatisfiable, .headerFieldsTooLarge:
            ErrorRow(type: "invalid_request_error", code: nil)
        case .unauthorized:
            ErrorRow(type: "invalid_request_error", code: "invalid_api_key")
        case .tooManyRequests:
            ErrorRow(type: "requests", code: "rate_limit_exceeded")
        case .internalError, .notImplemented, .upstreamUnreachable, .badGateway, .unavailable, .upstreamTimeout,
            .httpVersionNotSupported:
            ErrorRow(type: "server_error", code: nil)
        }
    }
}
