import FilegateDialects

/// One fuzz target: what it feeds its bytes to and which properties it checks (`run(_:)`).
///
/// The raw value names the target on the fuzz executable's command line and its folders, `Fuzz/Corpus/<name>/` and
/// `Fuzz/Crashes/<name>/`. Shared by the fuzz executable (Fuzz/) and the replay tests, so a crash found once is
/// replayed through the very same code by every `swift test`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `RequestParser` on raw bytes from a client: heads, bodies, pipelined requests.
    case requestParser = "request-parser"
    /// `RequestParser`'s chunked decoding and `ChunkedEncoding`: the input is a chunked body behind a fixed head.
    case chunkedBody = "chunked-body"
    /// `DialectRoot.parse` under `/v1/files`: `METHOD SP rest-of-target`.
    case openAIRequest = "openai-request"
    /// `DialectRoot.parse` under `/openai/v1/files`.
    case azureV1Request = "azure-v1-request"
    /// `DialectRoot.parse` under `/openai/files` (the dated API).
    case azureLegacyRequest = "azure-legacy-request"
    /// `MultipartParser`, `CreateForm`, `MultipartWriter` and `FilePartLength`: a `Content-Type` line, then a body.
    case multipartForm = "multipart-form"
    /// `Dialect`'s decoders of whole upstream answers (file, list, deletion, error body) and `JSONValue`.
    case upstreamAnswer = "upstream-answer"
    /// `FileListStreamDecoder`, a dated backend's list read as it streams.
    case fileListStream = "file-list-stream"

    /// The module whose code the target exercises, which decides the test target that replays it.
    public enum Module: Sendable {
        case wire
        case dialects
    }

    public var module: Module {
        switch self {
        case .requestParser, .chunkedBody, .multipartForm: .wire
        case .openAIRequest, .azureV1Request, .azureLegacyRequest, .upstreamAnswer, .fileListStream: .dialects
        }
    }

    /// Feeds `bytes` to the target's code and checks its properties; a crash or a thrown violation is a finding.
    public func run(_ bytes: [UInt8]) throws(InvariantViolation) {
        switch self {
        case .requestParser: try RequestParserChecks.check(bytes)
        case .chunkedBody: try ChunkedBodyChecks.check(bytes)
        case .openAIRequest: try DialectRequestChecks.check(bytes, root: .openAI)
        case .azureV1Request: try DialectRequestChecks.check(bytes, root: .azureV1)
        case .azureLegacyRequest: try DialectRequestChecks.check(bytes, root: .azureLegacy)
        case .multipartForm: try MultipartFormChecks.check(bytes)
        case .upstreamAnswer: try UpstreamAnswerChecks.check(bytes)
        case .fileListStream: try FileListStreamChecks.check(bytes)
        }
    }

    /// The whole HTTP request an input of this target stands for, for the differential test against llhttp; nil for
    /// targets whose input is not a request.
    public func httpRequest(_ bytes: [UInt8]) -> [UInt8]? {
        switch self {
        case .requestParser: bytes
        case .chunkedBody: ChunkedBodyChecks.head + bytes
        default: nil
        }
    }
}
