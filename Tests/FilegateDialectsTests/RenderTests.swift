import FilegateCore
import FilegateDialects
import NIOCore
import Testing

/// Dialects used across the render and codec tests, one per behaviour the tables distinguish.
enum Dialects {
    static func legacy(_ text: String) -> Dialect {
        .azureLegacy(LegacyAPIVersion(text)!)
    }

    static let all: [Dialect] = [
        .openAI, .azureV1(.v1), .azureV1(.preview), legacy("2023-05-15"), legacy("2024-05-01-preview"),
        legacy("2024-06-01"), legacy("2024-08-01-preview"), legacy("2024-10-01-preview"), legacy("2024-10-21"),
    ]
}

/// The value of the first header called `name` (case-insensitive).
func header(_ name: String, in response: RenderedResponse) -> String? {
    response.headers.first { $0.0.lowercased() == name.lowercased() }?.1
}

@Suite("Rendering")
struct RenderTests {
    static let file = FileObject(
        id: "file-abc",
        bytes: 140,
        createdAt: 1_646_126_127,
        filename: "puppy.jsonl",
        purpose: .fineTune,
        status: .processed
    )

    static func json(_ status: String, extra: String = "") -> String {
        #"{"id":"file-abc","object":"file","bytes":140,"created_at":1646126127,"filename":"puppy.jsonl","#
            + #""purpose":"fine-tune","status":"\#(status)"\#(extra)}"#
    }

    /// (dialect, status, the word its client sees or nil for a 404).
    static let fileRows: [(Dialect, FileStatus, String?)] = [
        (.openAI, .processed, "processed"), (.openAI, .pending, "uploaded"), (.openAI, .running, "uploaded"),
        (.openAI, .uploaded, "uploaded"), (.openAI, .error, "error"), (.openAI, .deleting, nil),
        (.openAI, .deleted, nil),
        (.azureV1(.v1), .pending, "pending"), (.azureV1(.preview), .deleted, "deleted"),
        (.azureV1(.v1), .processed, "processed"),
        (Dialects.legacy("2024-05-01-preview"), .processed, "succeeded"),
        (Dialects.legacy("2024-05-01-preview"), .pending, "notRunning"),
        (Dialects.legacy("2024-05-01-preview"), .uploaded, "notRunning"),
        (Dialects.legacy("2023-05-15"), .error, "failed"),
        (Dialects.legacy("2023-05-15"), .deleting, "deleted"),
        (Dialects.legacy("2023-05-15"), .running, "running"),
        (Dialects.legacy("2024-06-01"), .processed, "processed"),
        (Dialects.legacy("2024-06-01"), .pending, "pending"),
        (Dialects.legacy("2024-08-01-preview"), .processed, "processed"),
        (Dialects.legacy("2024-10-21"), .error, "error"),
    ]

    @Test("a file object in each dialect's status words", arguments: fileRows)
    func renderFile(dialect: Dialect, status: FileStatus, word: String?) {
        var file = Self.file
        file.status = status
        let response = dialect.renderFile(file)
        if let word {
            #expect(response.status == 200)
            #expect(header("Content-Type", in: response) == "application/json")
            #expect(TestJSON.parse(response.body) == TestJSON.parse(Self.json(word)))
        } else {
            #expect(response.status == 404)
            #expect(TestJSON.parse(response.body) == TestJSON.parse(Self.errorBody(dialect, .notFound)))
        }
    }

    @Test("optional fields appear only when set; missing bytes is null", arguments: Dialects.all)
    func optionalFields(dialect: Dialect) {
        var file = Self.file
        file.status = .error
        file.statusDetails = "bad line 3"
        file.expiresAt = 1_700_000_000
        file.bytes = nil
        let word = dialect.profile.statusWords.word(for: .error) ?? ""
        let expected = Self.json(word, extra: #","status_details":"bad line 3","expires_at":1700000000"#)
            .replacing(#""bytes":140"#, with: #""bytes":null"#)
        #expect(TestJSON.parse(dialect.renderFile(file).body) == TestJSON.parse(expected))
    }

    @Test("create: 200 in OpenAI and v1, 201 with Location (no query) on the dated root", arguments: Dialects.all)
    func renderCreated(dialect: Dialect) {
        let response = dialect.renderCreated(Self.file, publicBaseURL: "https://gw.example:8443/")
        let word = dialect.profile.statusWords.word(for: .processed) ?? ""
        #expect(TestJSON.parse(response.body) == TestJSON.parse(Self.json(word)))
        if case .azureLegacy = dialect {
            #expect(response.status == 201)
            #expect(header("Location", in: response) == "https://gw.example:8443/openai/files/file-abc")
        } else {
            #expect(response.status == 200)
            #expect(header("Location", in: response) == nil)
        }
    }

    @Test("an OpenAI client is never told about a file being deleted, even on create")
    func openAICreatedDeleted() {
        var file = Self.file
        file.status = .deleting
        #expect(Dialect.openAI.renderCreated(file, publicBaseURL: "http://x").status == 404)
    }

    @Test("lists carry first_id, last_id and has_more in every dialect", arguments: Dialects.all)
    func renderList(dialect: Dialect) {
        var second = Self.file
        second.id = "file-def"
        let response = dialect.renderList(FileList(data: [Self.file, second], hasMore: true))
        let word = dialect.profile.statusWords.word(for: .processed) ?? ""
        let expected =
            #"{"object":"list","data":["# + Self.json(word) + ","
            + Self.json(word).replacing("file-abc", with: "file-def")
            + #"],"first_id":"file-abc","last_id":"file-def","has_more":true}"#
        #expect(response.status == 200)
        #expect(header("Content-Type", in: response) == "application/json")
        #expect(TestJSON.parse(response.body) == TestJSON.parse(expected))
    }

    @Test("an empty list has null first_id and last_id", arguments: Dialects.all)
    func renderEmptyList(dialect: Dialect) {
        let response = dialect.renderList(FileList(data: [], hasMore: false))
        let expected = #"{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}"#
        #expect(TestJSON.parse(response.body) == TestJSON.parse(expected))
    }

    @Test("OpenAI lists leave out deleting and deleted files")
    func openAIListFilters() {
        var deleting = Self.file
        deleting.id = "file-gone"
        deleting.status = .deleted
        var pending = Self.file
        pending.id = "file-new"
        pending.status = .pending
        let response = Dialect.openAI.renderList(FileList(data: [deleting, pending], hasMore: false))
        let expected =
            #"{"object":"list","data":["#
            + Self.json("uploaded").replacing("file-abc", with: "file-new")
            + #"],"first_id":"file-new","last_id":"file-new","has_more":false}"#
        #expect(TestJSON.parse(response.body) == TestJSON.parse(expected))
    }

    /// (dialect, expected status): 204 before 2024-10-01, 200 with body from then on, previews included.
    static let deletionRows: [(Dialect, Int)] = [
        (.openAI, 200), (.azureV1(.v1), 200), (.azureV1(.preview), 200), (Dialects.legacy("2023-05-15"), 204),
        (Dialects.legacy("2024-05-01-preview"), 204), (Dialects.legacy("2024-06-01"), 204),
        (Dialects.legacy("2024-08-01-preview"), 204), (Dialects.legacy("2024-09-30"), 204),
        (Dialects.legacy("2024-10-01-preview"), 200), (Dialects.legacy("2024-10-21"), 200),
    ]

    @Test("delete answers", arguments: deletionRows)
    func renderDeletion(dialect: Dialect, status: Int) {
        let response = dialect.renderDeletion(FileDeletion(id: "file-abc"))
        #expect(response.status == status)
        if status == 204 {
            #expect(response.body == nil)
            #expect(response.headers.isEmpty)
        } else {
            #expect(header("Content-Type", in: response) == "application/json")
            #expect(
                TestJSON.parse(response.body) == TestJSON.parse(#"{"id":"file-abc","object":"file","deleted":true}"#)
            )
        }
    }

    /// DESIGN.md "Errors", one row per canonical code: (code, OpenAI/v1 type, OpenAI/v1 code, dated code).
    static let errorRows: [(GatewayError.Code, String, String?, String)] = [
        (.invalidRequest, "invalid_request_error", nil, "invalidPayload"),
        (.unsupportedPurpose, "invalid_request_error", nil, "invalidPayload"),
        (.expiresAfterOutOfRange, "invalid_request_error", nil, "invalidPayload"),
        (.unauthorized, "invalid_request_error", "invalid_api_key", "unauthorized"),
        (.forbidden, "invalid_request_error", nil, "forbidden"),
        (.notFound, "invalid_request_error", nil, "notFound"),
        (.methodNotAllowed, "invalid_request_error", nil, "invalidPayload"),
        (.requestTimeout, "invalid_request_error", nil, "invalidPayload"),
        (.payloadTooLarge, "invalid_request_error", nil, "invalidPayload"),
        (.uriTooLong, "invalid_request_error", nil, "invalidPayload"),
        (.rangeNotSatisfiable, "invalid_request_error", nil, "invalidPayload"),
        (.headerFieldsTooLarge, "invalid_request_error", nil, "invalidPayload"),
        (.tooManyRequests, "requests", "rate_limit_exceeded", "tooManyRequests"),
        (.internalError, "server_error", nil, "internalFailure"),
        (.notImplemented, "server_error", nil, "invalidPayload"),
        (.upstreamUnreachable, "server_error", nil, "serviceUnavailable"),
        (.badGateway, "server_error", nil, "serviceUnavailable"),
        (.unavailable, "server_error", nil, "serviceUnavailable"),
        (.upstreamTimeout, "server_error", nil, "serviceUnavailable"),
        (.httpVersionNotSupported, "server_error", nil, "invalidPayload"),
    ]

    @Test("the error table has one row per canonical code")
    func errorTableCoversEveryCode() {
        #expect(Self.errorRows.map(\.0) == GatewayError.Code.allCases)
    }

    @Test("each shape's table row", arguments: errorRows)
    func errorTable(code: GatewayError.Code, type: String, openAICode: String?, legacyCode: String) {
        #expect(ErrorShape.openAI.row(for: code) == ErrorRow(type: type, code: openAICode))
        #expect(ErrorShape.azureV1.row(for: code) == ErrorRow(type: type, code: openAICode))
        #expect(ErrorShape.azureLegacy.row(for: code) == ErrorRow(type: nil, code: legacyCode))
    }

    /// The body `dialect` renders for a `code` error with message "m" and the given param.
    static func errorBody(
        _ dialect: Dialect,
        _ code: GatewayError.Code,
        message: String = "No such file.",
        param: String? = nil
    ) -> String {
        let row = errorRows.first { $0.0 == code }!
        let quoted = { (text: String?) in text.map { "\"\($0)\"" } ?? "null" }
        switch dialect {
        case .openAI:
            return #"{"error":{"message":"\#(message)","type":"\#(row.1)","param":\#(quoted(param)),"#
                + #""code":\#(quoted(row.2))}}"#
        case .azureV1:
            return #"{"error":{"code":\#(quoted(row.2)),"message":"\#(message)","param":\#(quoted(param)),"#
                + #""type":"\#(row.1)","inner_error":null}}"#
        case .azureLegacy:
            return #"{"error":{"code":"\#(row.3)","message":"\#(message)","target":\#(quoted(param)),"#
                + #""details":[],"innererror":null}}"#
        }
    }

    @Test("every code renders in every dialect's shape", arguments: Dialects.all)
    func renderErrors(dialect: Dialect) {
        for code in GatewayError.Code.allCases {
            let response = dialect.renderError(GatewayError(code, "m", param: "purpose"))
            #expect(response.status == code.status)
            #expect(header("Content-Type", in: response) == "application/json")
            #expect(
                TestJSON.parse(response.body)
                    == TestJSON.parse(Self.errorBody(dialect, code, message: "m", param: "purpose"))
            )
        }
    }

    @Test("405 carries Allow; 429 and 503 carry Retry-After; an upstream's status is kept", arguments: Dialects.all)
    func errorHeaders(dialect: Dialect) {
        let notAllowed = dialect.renderError(
            GatewayError(.methodNotAllowed, "m", allowedMethods: ["DELETE", "GET"])
        )
        #expect(notAllowed.status == 405)
        #expect(header("Allow", in: notAllowed) == "DELETE, GET")
        let limited = dialect.renderError(GatewayError(.tooManyRequests, "m", retryAfterSeconds: 7))
        #expect(limited.status == 429)
        #expect(header("Retry-After", in: limited) == "7")
        #expect(header("Allow", in: limited) == nil)
        let upstream = dialect.renderError(GatewayError(.invalidRequest, "m", upstreamStatus: 409))
        #expect(upstream.status == 409)
        #expect(header("Retry-After", in: upstream) == nil)
    }

    @Test("strings are escaped")
    func escaping() {
        let message = "quote \" backslash \\ newline \n tab \t bell \u{07} é 🙂"
        let response = Dialect.openAI.renderError(GatewayError(.invalidRequest, message))
        guard case .object(let root) = TestJSON.parse(response.body), case .object(let error)? = root["error"] else {
            Issue.record("not an error object: \(TestJSON.parse(response.body))")
            return
        }
        #expect(error["message"] == .string(message))
    }
}
