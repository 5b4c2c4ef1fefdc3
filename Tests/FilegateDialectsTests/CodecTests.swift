import FilegateCore
import FilegateDialects
import NIOCore
import Testing

@Suite("Outbound codec")
struct CodecTests {
    static let id = FileID(rawValue: "file-181a1cbdcdcf4677ada87f63a0928099")!

    static let operations: [Operation] = [
        .createFile,
        .listFiles(ListQuery()),
        .listFiles(ListQuery(purpose: .fineTune, limit: 20, order: .asc, after: "file-1")),
        .listFiles(ListQuery(purpose: Purpose(rawValue: "odd word&x=1+y%"), limit: 1, order: .desc)),
        .listFiles(ListQuery(limit: 10_000, order: .asc)),
        .listFiles(ListQuery(after: "file-ä/?#")),
        .retrieveFile(id),
        .deleteFile(id),
        .fileContent(id),
    ]

    @Test("parse(encodeHead(op)) is the same dialect and operation", arguments: Dialects.all)
    func roundTrip(dialect: Dialect) throws {
        for operation in Self.operations {
            let (method, target) = dialect.encodeHead(operation)
            let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
            let root = try #require(DialectRoot.matching(path: parts[0]))
            let parsed = try root.parse(method: method, path: parts[0], query: parts.count > 1 ? parts[1] : nil)
            #expect(parsed == InboundRequest(dialect: dialect, operation: operation))
        }
    }

    /// (dialect, operation, method, target).
    static let headRows: [(Dialect, Operation, String, String)] = [
        (.openAI, .createFile, "POST", "/v1/files"),
        (.openAI, .listFiles(ListQuery()), "GET", "/v1/files"),
        (
            .openAI, .listFiles(ListQuery(purpose: .batch, limit: 5, order: .asc, after: "file-1")), "GET",
            "/v1/files?purpose=batch&limit=5&order=asc&after=file-1"
        ),
        (.azureV1(.v1), .retrieveFile(id), "GET", "/openai/v1/files/file-181a1cbdcdcf4677ada87f63a0928099"),
        (
            .azureV1(.preview), .deleteFile(id), "DELETE",
            "/openai/v1/files/file-181a1cbdcdcf4677ada87f63a0928099?api-version=preview"
        ),
        (
            Dialects.legacy("2024-06-01"), .fileContent(id), "GET",
            "/openai/files/file-181a1cbdcdcf4677ada87f63a0928099/content?api-version=2024-06-01"
        ),
        (Dialects.legacy("2024-10-01-preview"), .createFile, "POST", "/openai/files?api-version=2024-10-01-preview"),
        (
            Dialects.legacy("2024-10-21"), .listFiles(ListQuery(purpose: .fineTune)), "GET",
            "/openai/files?api-version=2024-10-21&purpose=fine-tune"
        ),
    ]

    @Test("request heads a server of the dialect accepts", arguments: headRows)
    func heads(dialect: Dialect, operation: Operation, method: String, target: String) {
        let head = dialect.encodeHead(operation)
        #expect(head.method == method)
        #expect(head.target == target)
    }

    /// The response examples of shared/seeds, as a backend sends them, and what they read as.
    static let seedRows: [(String, FileObject)] = [
        (
            // azure-2024-06-01-files-get.txt
            #"{"bytes": 140, "purpose": "fine-tune", "filename": "puppy.jsonl", "#
                + #""id": "file-181a1cbdcdcf4677ada87f63a0928099", "status": "succeeded", "#
                + #""created_at": 1646126127, "object": "file"}"#,
            FileObject(
                id: "file-181a1cbdcdcf4677ada87f63a0928099",
                bytes: 140,
                createdAt: 1_646_126_127,
                filename: "puppy.jsonl",
                purpose: .fineTune,
                status: .processed
            )
        ),
        (
            // azure-2024-06-01-files-upload.txt: no bytes at all.
            #"{"purpose": "fine-tune", "filename": "puppy.jsonl", "#
                + #""id": "file-181a1cbdcdcf4677ada87f63a0928099", "status": "notRunning", "#
                + #""created_at": 1646126127, "object": "file"}"#,
            FileObject(
                id: "file-181a1cbdcdcf4677ada87f63a0928099",
                bytes: nil,
                createdAt: 1_646_126_127,
                filename: "puppy.jsonl",
                purpose: .fineTune,
                status: .pending
            )
        ),
        (
            // azure-v1-files.txt OpenAIFile, with the optional fields and a pass-through purpose.
            #"{"id":"file-x","object":"file","bytes":null,"created_at":1,"filename":"o.jsonl","#
                + #""purpose":"batch_output","status":"error","status_details":"bad","expires_at":2}"#,
            FileObject(
                id: "file-x",
                bytes: nil,
                createdAt: 1,
                filename: "o.jsonl",
                purpose: .batchOutput,
                status: .error,
                statusDetails: "bad",
                expiresAt: 2
            )
        ),
        (
            // openai-files-and-uploads.txt OpenAIFile.
            #"{"id":"file-abc","object":"file","bytes":9007199254740993,"created_at":1700000000,"#
                + #""filename":"v.png","purpose":"vision","status":"uploaded","status_details":null}"#,
            FileObject(
                id: "file-abc",
                bytes: 9_007_199_254_740_993,
                createdAt: 1_700_000_000,
                filename: "v.png",
                purpose: .vision,
                status: .uploaded
            )
        ),
        (
            #"{"id":"file-c","object":"file","bytes":3,"created_at":5,"filename":"c","purpose":"fine-tune-results","#
                + #""status":"canceled"}"#,
            FileObject(
                id: "file-c",
                bytes: 3,
                createdAt: 5,
                filename: "c",
                purpose: .fineTuneResults,
                status: .error
            )
        ),
    ]

    @Test("seed examples and other backend answers decode in every dialect", arguments: seedRows)
    func decodeSeeds(json: String, expected: FileObject) throws {
        for dialect in Dialects.all {
            #expect(try dialect.decodeFile(buffer(json)) == expected)
        }
    }

    @Test(
        "malformed 2xx answers are a 502",
        arguments: [
            "", "<html>", "[]", "null", #"{"id":"file-1"}"#,
            #"{"id":"f","created_at":"1","filename":"a","purpose":"batch","status":"processed"}"#,
            #"{"id":"f","created_at":1,"filename":"a","purpose":"batch","status":"done"}"#,
            #"{"id":"f","created_at":1,"filename":"a","purpose":"batch","status":"processed""#,
        ]
    )
    func malformed(_ json: String) {
        let error = #expect(throws: GatewayError.self) { try Dialect.openAI.decodeFile(buffer(json)) }
        #expect(error?.code == .badGateway)
        #expect(error?.status == 502)
    }

    @Test("render then decode gives the file back, in every dialect's vocabulary", arguments: Dialects.all)
    func renderDecode(dialect: Dialect) throws {
        for status in FileStatus.allCases {
            let file = FileObject(
                id: "file-rt",
                bytes: 12,
                createdAt: 99,
                filename: "r \"q\".jsonl",
                purpose: .batch,
                status: status,
                statusDetails: status == .error ? "why" : nil,
                expiresAt: 1234
            )
            let response = dialect.renderFile(file)
            guard let word = dialect.profile.statusWords.word(for: status) else {
                #expect(response.status == 404)
                continue
            }
            let body = try #require(response.body)
            var expected = file
            expected.status = try #require(StatusVocabulary.read(word))
            #expect(try dialect.decodeFile(body) == expected)
        }
    }

    @Test("lists decode, with or without paging fields", arguments: Dialects.all)
    func lists(dialect: Dialect) throws {
        let files = [
            FileObject(id: "file-1", bytes: 1, createdAt: 1, filename: "a", purpose: .fineTune, status: .processed),
            FileObject(id: "file-2", bytes: 2, createdAt: 2, filename: "b", purpose: .batch, status: .error),
        ]
        let list = FileList(data: files, hasMore: true)
        let rendered = try #require(dialect.renderList(list).body)
        #expect(try dialect.decodeList(rendered) == list)
        let legacy =
            #"{"data":[{"id":"file-1","bytes":1,"created_at":1,"filename":"a","purpose":"fine-tune","#
            + #""status":"succeeded","object":"file"}],"object":"list"}"#
        #expect(try dialect.decodeList(buffer(legacy)) == FileList(data: [files[0]], hasMore: false))
        let error = #expect(throws: GatewayError.self) { try dialect.decodeList(buffer(#"{"object":"list"}"#)) }
        #expect(error?.code == .badGateway)
    }

    @Test("deletions decode from a body, or from a 204 given the id", arguments: Dialects.all)
    func deletions(dialect: Dialect) throws {
        let deletion = FileDeletion(id: "file-1")
        if let body = dialect.renderDeletion(deletion).body {
            #expect(try dialect.decodeDeletion(body) == deletion)
        }
        #expect(try dialect.decodeDeletion(ByteBuffer(), id: FileID(rawValue: "file-1")) == deletion)
        let error = #expect(throws: GatewayError.self) { try dialect.decodeDeletion(ByteBuffer()) }
        #expect(error?.code == .badGateway)
    }

    /// (status, body, expected code, message, param, upstream code kept for logs).
    static let errorRows: [(Int, String?, GatewayError.Code, String, String?, String?)] = [
        (
            404,
            #"{"error":{"message":"No such File object: file-1","type":"invalid_request_error","param":"id","#
                + #""code":null}}"#, .notFound, "No such File object: file-1", "id", nil
        ),
        (
            400,
            #"{"error":{"code":"invalidPayload","message":"bad","target":"purpose","details":[],"#
                + #""innererror":null}}"#, .invalidRequest, "bad", "purpose", "upstream code invalidPayload"
        ),
        (
            400,
            #"{"code":"invalid_value","message":"seconds","param":"expires_after","type":"invalid_request_error"}"#,
            .invalidRequest, "seconds", "expires_after", "upstream code invalid_value"
        ),
        (
            429, #"{"error":{"code":429,"message":"Rate limit is exceeded."}}"#, .tooManyRequests,
            "Rate limit is exceeded.", nil, "upstream code 429"
        ),
        (
            401, #"{"statusCode":401,"message":"Access denied due to invalid subscription key."}"#, .unauthorized,
            "Access denied due to invalid subscription key.", nil, nil
        ),
        (
            503, "<html><body>Service Unavailable</body></html>", .unavailable,
            "The upstream service answered with status 503.", nil, nil
        ),
        (502, nil, .badGateway, "The upstream service answered with status 502.", nil, nil),
        (409, "[1,2]", .invalidRequest, "The upstream service answered with status 409.", nil, nil),
        (500, #"{"error":{"message":"boom","type":"server_error"}}"#, .internalError, "boom", nil, nil),
        (520, "", .badGateway, "The upstream service answered with status 520.", nil, nil),
        (504, #"{"error":"timeout"}"#, .upstreamTimeout, "The upstream service answered with status 504.", nil, nil),
    ]

    @Test("backend errors keep their status and map their body", arguments: errorRows)
    func decodeErrors(
        status: Int,
        body: String?,
        code: GatewayError.Code,
        message: String,
        param: String?,
        upstreamCode: String?
    ) {
        for dialect in Dialects.all {
            let error = dialect.decodeError(status: status, body: body.map(buffer))
            #expect(error.code == code)
            #expect(error.status == status)
            #expect(error.upstreamStatus == status)
            #expect(error.message == message)
            #expect(error.param == param)
            if let upstreamCode { #expect(error.underlying == upstreamCode) }
        }
    }

    @Test("a rendered error reads back with its message and param", arguments: Dialects.all)
    func errorRoundTrip(dialect: Dialect) {
        for code in GatewayError.Code.allCases {
            let rendered = dialect.renderError(GatewayError(code, "why", param: "limit"))
            let read = dialect.decodeError(status: rendered.status, body: rendered.body)
            #expect(read.status == code.status)
            #expect(read.message == "why")
            #expect(read.param == "limit")
        }
    }
}
