import FilegateCore
import FilegateDialects
import Testing

@Suite("DialectRoot")
struct DialectRootTests {
    static let v2024_10_21 = LegacyAPIVersion("2024-10-21")!
    static let v2024_06_01 = LegacyAPIVersion("2024-06-01")!
    static let fileID = FileID(rawValue: "file-abc123")!

    @Test(
        "matching finds the root from the path alone",
        arguments: [
            ("/v1/files", DialectRoot?.some(.openAI)), ("/v1/files/file-1", .openAI), ("/v1/files/", .openAI),
            ("/openai/v1/files", .azureV1), ("/openai/v1/files/x/content", .azureV1),
            ("/openai/files", .azureLegacy), ("/openai/files/file-1", .azureLegacy),
            ("/v1/filesx", nil), ("/openai/filesystem", nil), ("/v1/uploads", nil), ("/", nil), ("", nil),
            ("/openai/v1/file", nil), ("/V1/files", nil),
        ]
    )
    func matching(_ path: String, root: DialectRoot?) {
        #expect(DialectRoot.matching(path: path) == root)
    }

    @Test(
        "a path under no root is answered in the shape of the clients that would send it",
        arguments: [
            ("/openai/v1/uploads/upload_1/parts", DialectRoot.azureV1), ("/openai/v1", .azureV1),
            ("/openai/v1/file", .azureV1), ("/openai/uploads", .azureLegacy), ("/openai/filesystem", .azureLegacy),
            ("/openai", .azureLegacy), ("/openai/v1x", .azureLegacy), ("/v1/uploads", .openAI), ("/", .openAI),
            ("/openaix/v1/files", .openAI), ("", .openAI),
        ]
    )
    func nearest(_ path: String, root: DialectRoot) {
        #expect(DialectRoot.nearest(to: path) == root)
    }

    @Test(
        "a path outside every root: 405 for CONNECT and TRACE, 501 for an unknown method, else 404",
        arguments: [
            ("GET", GatewayError.Code.notFound, [String]()), ("DELETE", .notFound, []), ("OPTIONS", .notFound, []),
            ("PATCH", .notFound, []), ("TRACE", .methodNotAllowed, ["DELETE", "GET", "POST"]),
            ("CONNECT", .methodNotAllowed, ["DELETE", "GET", "POST"]), ("BREW", .notImplemented, []),
            ("get", .notImplemented, []),
        ]
    )
    func unmatched(method: String, code: GatewayError.Code, allowed: [String]) {
        let error = DialectRoot.unmatched(method: method)
        #expect(error.code == code)
        #expect(error.allowedMethods == allowed)
    }

    @Test("path roots and error dialects")
    func rootFacts() {
        #expect(DialectRoot.openAI.pathRoot == "/v1/files")
        #expect(DialectRoot.azureV1.pathRoot == "/openai/v1/files")
        #expect(DialectRoot.azureLegacy.pathRoot == "/openai/files")
        #expect(DialectRoot.openAI.errorDialect == .openAI)
        #expect(DialectRoot.azureV1.errorDialect == .azureV1(.v1))
        #expect(DialectRoot.azureLegacy.errorDialect == .azureLegacy(Self.v2024_10_21))
    }

    /// (method, path, query, dialect, operation) for requests that parse.
    static let goodRows: [(String, String, String?, Dialect, Operation)] = [
        ("GET", "/v1/files", nil, .openAI, .listFiles(ListQuery())),
        ("POST", "/v1/files", nil, .openAI, .createFile),
        ("GET", "/v1/files/file-abc123", nil, .openAI, .retrieveFile(fileID)),
        ("DELETE", "/v1/files/file-abc123", nil, .openAI, .deleteFile(fileID)),
        ("GET", "/v1/files/file-abc123/content", nil, .openAI, .fileContent(fileID)),
        ("GET", "/v1/files/file-abc123", "api-version=nonsense", .openAI, .retrieveFile(fileID)),
        ("GET", "/v1/files/file%2Dabc123", nil, .openAI, .retrieveFile(fileID)),
        (
            "GET", "/v1/files", "limit=5&order=asc&after=file-9&purpose=batch&unknown=1&unknown=2", .openAI,
            .listFiles(ListQuery(purpose: .batch, limit: 5, order: .asc, after: "file-9"))
        ),
        (
            "GET", "/v1/files", "purpose=fine%2Dtune&limit=10000&order=desc", .openAI,
            .listFiles(ListQuery(purpose: .fineTune))
        ),
        (
            "GET", "/v1/files", "purpose=some+word&after=", .openAI,
            .listFiles(ListQuery(purpose: Purpose(rawValue: "some word")))
        ),
        ("GET", "/v1/files", "limit=1&&", .openAI, .listFiles(ListQuery(limit: 1))),
        ("GET", "/openai/v1/files", nil, .azureV1(.v1), .listFiles(ListQuery())),
        ("POST", "/openai/v1/files", "api-version=v1", .azureV1(.v1), .createFile),
        ("GET", "/openai/v1/files/file-abc123", "api-version=preview", .azureV1(.preview), .retrieveFile(fileID)),
        ("DELETE", "/openai/v1/files/file-abc123", nil, .azureV1(.v1), .deleteFile(fileID)),
        ("GET", "/openai/v1/files/file-abc123/content", nil, .azureV1(.v1), .fileContent(fileID)),
        (
            "GET", "/openai/v1/files", "api-version=preview&limit=2", .azureV1(.preview),
            .listFiles(ListQuery(limit: 2))
        ),
        ("GET", "/openai/files", "api-version=2024-10-21", .azureLegacy(v2024_10_21), .listFiles(ListQuery())),
        ("POST", "/openai/files", "api-version=2024-06-01", .azureLegacy(v2024_06_01), .createFile),
        (
            "GET", "/openai/files/file-abc123", "api-version=2024-06-01", .azureLegacy(v2024_06_01),
            .retrieveFile(fileID)
        ),
        (
            "DELETE", "/openai/files/file-abc123", "api-version=2024-10-21", .azureLegacy(v2024_10_21),
            .deleteFile(fileID)
        ),
        (
            "GET", "/openai/files/file-abc123/content", "api-version=2024-10-21", .azureLegacy(v2024_10_21),
            .fileContent(fileID)
        ),
        (
            "GET", "/openai/files", "purpose=fine-tune&api-version=2024-10-21&after=file-1&order=asc",
            .azureLegacy(v2024_10_21), .listFiles(ListQuery(purpose: .fineTune, order: .asc, after: "file-1"))
        ),
    ]

    @Test("requests that parse", arguments: goodRows)
    func parses(method: String, path: String, query: String?, dialect: Dialect, operation: Operation) throws {
        let root = try #require(DialectRoot.matching(path: path))
        let parsed = try root.parse(method: method, path: path, query: query)
        #expect(parsed == InboundRequest(dialect: dialect, operation: operation))
    }

    /// (method, path, query, code, param, allowed methods) for requests that fail.
    static let badRows: [(String, String, String?, GatewayError.Code, String?, [String])] = [
        // Path shape: 404, before anything else.
        ("GET", "/v1/files/", nil, .notFound, nil, []),
        ("GET", "/v1/files//content", nil, .notFound, nil, []),
        ("GET", "/v1/files/file-1/", nil, .notFound, nil, []),
        ("GET", "/v1/files/file-1/content/", nil, .notFound, nil, []),
        ("GET", "/v1/files/file-1/other", nil, .notFound, nil, []),
        ("GET", "/v1/files/file-1/content/more", nil, .notFound, nil, []),
        ("GET", "/v1/files/file.1", nil, .notFound, nil, []),
        ("GET", "/v1/files/file%2F1", nil, .notFound, nil, []),
        ("GET", "/v1/files/file%25411", nil, .notFound, nil, []),
        ("GET", "/v1/files/file%4", nil, .notFound, nil, []),
        ("GET", "/v1/files/%2E%2E", nil, .notFound, nil, []),
        ("PUT", "/openai/files/file-1/x", "api-version=bad", .notFound, nil, []),
        ("GET", "/v1/files/" + String(repeating: "a", count: 97), nil, .notFound, nil, []),
        // Method: 405 with Allow, before the api-version.
        ("PUT", "/v1/files", nil, .methodNotAllowed, nil, ["GET", "POST"]),
        ("DELETE", "/openai/files", "api-version=bad", .methodNotAllowed, nil, ["GET", "POST"]),
        ("POST", "/v1/files/file-1", nil, .methodNotAllowed, nil, ["DELETE", "GET"]),
        ("PATCH", "/openai/v1/files/file-1", "api-version=bad", .methodNotAllowed, nil, ["DELETE", "GET"]),
        ("DELETE", "/v1/files/file-1/content", nil, .methodNotAllowed, nil, ["GET"]),
        ("get", "/v1/files/file-1/content", nil, .methodNotAllowed, nil, ["GET"]),
        // api-version: 400, before list parameters.
        ("GET", "/openai/v1/files", "api-version=2024-10-21", .invalidRequest, "api-version", []),
        ("GET", "/openai/v1/files", "api-version=", .invalidRequest, "api-version", []),
        ("GET", "/openai/v1/files", "api-version=V1", .invalidRequest, "api-version", []),
        ("GET", "/openai/v1/files", "api-version=v1&api-version=v1", .invalidRequest, "api-version", []),
        ("GET", "/openai/files", nil, .invalidRequest, "api-version", []),
        ("GET", "/openai/files", "limit=0", .invalidRequest, "api-version", []),
        ("GET", "/openai/files/file-1", "api-version=2024-02-30", .invalidRequest, "api-version", []),
        ("GET", "/openai/files/file-1", "api-version=2022-11-30", .invalidRequest, "api-version", []),
        ("GET", "/openai/files/file-1", "api-version=2024-6-1", .invalidRequest, "api-version", []),
        ("GET", "/openai/files/file-1", "api-version=v1", .invalidRequest, "api-version", []),
        ("POST", "/openai/files", "api-version=2024-10-21&api-version=2024-10-21", .invalidRequest, "api-version", []),
        (
            "DELETE", "/openai/files/file-1", "api-version=2024-10-21&api-version=2024-06-01", .invalidRequest,
            "api-version", []
        ),
        ("GET", "/openai/files", "api-version=2024-10-21%ZZ", .invalidRequest, "api-version", []),
        // List parameters.
        ("GET", "/v1/files", "limit=0", .invalidRequest, "limit", []),
        ("GET", "/v1/files", "limit=10001", .invalidRequest, "limit", []),
        ("GET", "/v1/files", "limit=abc", .invalidRequest, "limit", []),
        ("GET", "/v1/files", "limit=", .invalidRequest, "limit", []),
        ("GET", "/v1/files", "limit=5&limit=5", .invalidRequest, "limit", []),
        ("GET", "/openai/v1/files", "order=up", .invalidRequest, "order", []),
        ("GET", "/openai/files", "api-version=2024-10-21&order=ASC", .invalidRequest, "order", []),
        ("GET", "/v1/files", "order=asc&order=desc", .invalidRequest, "order", []),
        ("GET", "/v1/files", "after=a&after=b", .invalidRequest, "after", []),
        ("GET", "/openai/files", "api-version=2024-10-21&purpose=batch&purpose=batch", .invalidRequest, "purpose", []),
    ]

    @Test("requests that fail, in the order path, method, api-version, list parameters", arguments: badRows)
    func fails(
        method: String,
        path: String,
        query: String?,
        code: GatewayError.Code,
        param: String?,
        allowed: [String]
    ) throws {
        let root = try #require(DialectRoot.matching(path: path))
        let error = #expect(throws: GatewayError.self) { try root.parse(method: method, path: path, query: query) }
        #expect(error?.code == code)
        #expect(error?.param == param)
        #expect(error?.allowedMethods == allowed)
    }

    /// `parse` checks the root itself rather than trusting that `matching` was asked first.
    @Test("a path that only begins with the root's characters is not found")
    func pathBeyondTheRoot() {
        let error = #expect(throws: GatewayError.self) {
            try DialectRoot.openAI.parse(method: "GET", path: "/v1/filesx/file-1", query: nil)
        }
        #expect(error?.code == .notFound)
    }

    @Test("api-version errors say what is accepted")
    func apiVersionMessages() throws {
        let v1 = #expect(throws: GatewayError.self) {
            try DialectRoot.azureV1.parse(method: "GET", path: "/openai/v1/files", query: "api-version=2024-10-21")
        }
        #expect(v1?.message.contains("v1, preview") == true)
        let legacy = #expect(throws: GatewayError.self) {
            try DialectRoot.azureLegacy.parse(method: "GET", path: "/openai/files", query: nil)
        }
        #expect(legacy?.message.contains("YYYY-MM-DD") == true)
    }
}
