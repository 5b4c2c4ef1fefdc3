public import FilegateCore
public import FilegateDialects
import FilegateWire
import NIOCore

/// A Files API reached through libcurl, in the backend's own dialect (DESIGN.md "The data path").
///
/// Operations are encoded with the backend's codec, sent by the `CurlLoop`, and the answers decoded back to the
/// canonical model; the gateway renders them in the client's dialect. File bodies stream both ways.
public struct RemoteBackend: Backend {
    /// One backend's settings from the config, already checked.
    public struct Configuration: Sendable {
        public var name: String
        /// The dialect filegate speaks to this backend (`api_version` decides the dated one).
        public var dialect: Dialect
        /// Scheme, host and an optional path prefix, without a trailing `/`.
        public var endpoint: String
        public var apiKey: Secret
        public var organization: String?
        public var project: String?
        public var purposes: Set<Purpose>
        /// `nil`: the backend keeps no expiry (the dated dialect).
        public var expiresAfterRange: ClosedRange<Int64>?
        public var connectTimeout: Duration
        public var firstByteTimeout: Duration
        public var caFile: String?
        public var maxListEntries: Int
        /// At most this many transfers to this backend at once (`max_upstream_connections`); others queue.
        public var maxUpstreamConnections: Int
        /// How long a request waits in that queue before it is answered 503 (`upstream_queue_timeout_seconds`).
        public var upstreamQueueTimeout: Duration

        public init(
            name: String,
            dialect: Dialect,
            endpoint: String,
            apiKey: Secret,
            organization: String? = nil,
            project: String? = nil,
            purposes: Set<Purpose>,
            expiresAfterRange: ClosedRange<Int64>?,
            connectTimeout: Duration = .seconds(10),
            firstByteTimeout: Duration = .seconds(120),
            caFile: String? = nil,
            maxListEntries: Int = 100_000,
            maxUpstreamConnections: Int = 256,
            upstreamQueueTimeout: Duration = .seconds(10)
        ) {
            self.name = name
            self.dialect = dialect
            self.endpoint = endpoint
            self.apiKey = apiKey
            self.organization = organization
            self.project = project
            self.purposes = purposes
            self.expiresAfterRange = expiresAfterRange
            self.connectTimeout = connectTimeout
            self.firstByteTimeout = firstByteTimeout
            self.caFile = caFile
            self.maxListEntries = maxListEntries
            self.maxUpstreamConnections = maxUpstreamConnections
            self.upstreamQueueTimeout = upstreamQueueTimeout
        }
    }

    /// The most bytes of a JSON answer (a file object, an error, a page) read into memory.
    static let maxAnswerBytes = 8 * 1024 * 1024

    private let configuration: Configuration
    private let curl: CurlLoop
    /// This backend's upstream connection limit, shared by every copy of the backend.
    let slots: UpstreamSlots
    /// The backend's credential in its dialect's form (DESIGN.md "Auth"); the client's key never goes upstream.
    private let credential: (name: String, value: Secret)
    /// OpenAI's organization and project, when the backend names them.
    private let accountHeaders: [(String, String)]

    public init(configuration: Configuration, curl: CurlLoop) {
        self.configuration = configuration
        self.curl = curl
        credential =
            switch configuration.dialect {
            case .openAI: ("Authorization", configuration.apiKey.withValue { Secret("Bearer \($0)") })
            case .azureV1, .azureLegacy: ("api-key", configuration.apiKey)
            }
        var accountHeaders: [(String, String)] = []
        if let organization = configuration.organization {
            accountHeaders.append(("OpenAI-Organization", organization))
        }
        if let project = configuration.project { accountHeaders.append(("OpenAI-Project", project)) }
        self.accountHeaders = accountHeaders
        self.slots = UpstreamSlots(
            limit: configuration.maxUpstreamConnections,
            queueTimeout: configuration.upstreamQueueTimeout
        )
    }

    public func createFile(
        _ file: NewFile,
        content: Body,
        context: inout BackendContext
    ) async throws(GatewayError) -> FileObject {
        try check(file)
        guard case .known(let contentLength) = content.length else {
            throw GatewayError.internalError("a remote create needs the file's length before it starts")
        }
        var generator = SystemRandomNumberGenerator()
        let writer = MultipartWriter(boundary: MultipartWriter.randomBoundary(using: &generator))
        let fields = formFields(file)
        let length = writer.contentLength(
            fields: fields,
            filename: file.filename,
            fileContentType: nil as String?,
            fileLength: contentLength
        )
        let body = Body(
            length: .known(length),
            MultipartUpload(
                prefix: writer.prefix(fields: fields, filename: file.filename, fileContentType: nil as String?),
                content: content,
                suffix: writer.suffix()
            )
        )
        let answer = try await send(
            .createFile,
            extraHeaders: [("Content-Type", writer.contentType)],
            body: body,
            context: &context
        )
        var created = try configuration.dialect.decodeFile(answer)
        if created.bytes == nil { created.bytes = contentLength }
        return created
    }

    /// A backend that pages answers the page itself; for one that does not (the dated dialect), filegate reads the
    /// backend's whole list as it streams and keeps at most `limit + 1` entries (DESIGN.md "Paging a backend
    /// without paging"), reading it once more when the cursor came too late in the first pass.
    public func listFiles(_ query: ListQuery, context: inout BackendContext) async throws(GatewayError) -> FileList {
        guard !configuration.dialect.profile.pagesLists else {
            return try configuration.dialect.decodeList(try await send(.listFiles(query), context: &context))
        }
        var pager = ListPager(query: query, maxEntries: configuration.maxListEntries)
        while true {
            try await readWholeList(into: &pager, context: &context)
            switch pager.outcome() {
            case .page(let page): return page
            case .listAgain(let again): pager = again
            }
        }
    }

    public func retrieveFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileObject {
        try configuration.dialect.decodeFile(try await send(.retrieveFile(id), context: &context))
    }

    public func deleteFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileDeletion {
        try configuration.dialect.decodeDeletion(try await send(.deleteFile(id), context: &context), id: id)
    }

    public func fileContent(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileContent {
        let response = try await start(.fileContent(id), extraHeaders: [], body: nil, context: &context)
        var contentType = "application/octet-stream"
        for (name, value) in HeaderAllowlist.towardClient(response.headers, forContent: true) {
            if HTTPHeaders.namesEqual(name, "content-type") {
                contentType = value
            } else {
                context.answerHeaders.append((name: name, value: value))
            }
        }
        return FileContent(contentType: contentType, body: response.body, isPartial: response.status == 206)
    }

    /// Streams the backend's unpaged list through `pager`, every purpose (the cursor may be any file).
    private func readWholeList(into pager: inout ListPager, context: inout BackendContext) async throws(GatewayError) {
        let response = try await start(.listFiles(ListQuery()), extraHeaders: [], body: nil, context: &context)
        var decoder = FileListStreamDecoder(dialect: configuration.dialect)
        do {
            for try await chunk in response.body {
                for file in try decoder.feed(chunk) {
                    try pager.consider(file)
                }
            }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError(.badGateway, "The upstream's list was cut short.", underlying: "\(error)")
        }
        try decoder.finish()
    }

    /// Purpose and expiry are the backend's to check, before a byte goes upstream (DESIGN.md "Purposes",
    /// "expires_after").
    private func check(_ file: NewFile) throws(GatewayError) {
        guard configuration.purposes.contains(file.purpose) else {
            throw GatewayError(
                .unsupportedPurpose,
                "'\(file.purpose)' is not a purpose backend '\(configuration.name)' takes. It takes: "
                    + "\(configuration.purposes.listed).",
                param: "purpose"
            )
        }
        guard let seconds = file.expiresAfterSeconds else { return }
        guard let range = configuration.expiresAfterRange else {
            throw GatewayError(
                .expiresAfterOutOfRange,
                "Backend '\(configuration.name)' keeps no expiry, so expires_after cannot be honoured there.",
                param: "expires_after"
            )
        }
        guard range.contains(seconds) else {
            throw GatewayError(
                .expiresAfterOutOfRange,
                "expires_after[seconds] must be between \(range.lowerBound) and \(range.upperBound).",
                param: "expires_after"
            )
        }
    }

    /// The form fields filegate writes upstream, in the bracket spelling the SDK uses.
    private func formFields(_ file: NewFile) -> [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [(name: "purpose", value: file.purpose.rawValue)]
        if let seconds = file.expiresAfterSeconds {
            fields.append((name: "expires_after[anchor]", value: "created_at"))
            fields.append((name: "expires_after[seconds]", value: String(seconds)))
        }
        return fields
    }

    /// Sends an operation whose answer is JSON and returns its body; the answer's allowlisted headers go to `context`.
    private func send(
        _ operation: FilegateCore.Operation,
        extraHeaders: [(String, String)] = [],
        body: Body? = nil,
        context: inout BackendContext
    ) async throws(GatewayError) -> ByteBuffer {
        let response = try await start(operation, extraHeaders: extraHeaders, body: body, context: &context)
        for (name, value) in HeaderAllowlist.towardClient(response.headers, forContent: false) {
            context.answerHeaders.append((name: name, value: value))
        }
        return try await Self.collect(response.body)
    }

    /// Starts the transfer and records what every answer hands back, the upstream's request id; an answer that is
    /// not a 2xx becomes the upstream's error (a redirect, which filegate never follows, a 502).
    private func start(
        _ operation: FilegateCore.Operation,
        extraHeaders: [(String, String)],
        body: Body?,
        context: inout BackendContext
    ) async throws(GatewayError) -> UpstreamResponse {
        let head = configuration.dialect.encodeHead(operation)
        let receivesContent = if case .fileContent = operation { true } else { false }
        var headers = accountHeaders
        headers += context.forwardedHeaders.map { ($0.name, $0.value) }
        headers += extraHeaders
        // The slot is held until the answer's body ends or is dropped (issue 5 point 7).
        let slot = try await slots.acquire()
        var response: UpstreamResponse
        do throws(GatewayError) {
            response = try await curl.perform(
                UpstreamRequest(
                    method: head.method,
                    url: configuration.endpoint + head.target,
                    headers: headers,
                    credential: credential,
                    body: body,
                    connectTimeout: configuration.connectTimeout,
                    firstByteTimeout: configuration.firstByteTimeout,
                    caFile: configuration.caFile,
                    receivesContent: receivesContent
                )
            )
        } catch {
            slot.release()
            throw error
        }
        response.body = slot.holding(response.body)
        context.upstreamRequestID = HeaderAllowlist.upstreamRequestID(response.headers)
        if (300..<400).contains(response.status) {
            throw GatewayError(
                .badGateway,
                "The upstream answered with a redirect, which filegate does not follow.",
                upstreamStatus: 502,
                underlying: "upstream status \(response.status) for \(head.method) \(head.target)"
            )
        }
        guard (200..<300).contains(response.status) else {
            if receivesContent, response.status == 416 {
                // `bytes */SIZE`: the size a client needs to ask again.
                let range = HeaderAllowlist.towardClient(response.headers, forContent: true).filter {
                    HTTPHeaders.namesEqual($0.0, "Content-Range")
                }
                context.answerHeaders += range.map { (name: $0.0, value: $0.1) }
            }
            throw try await failure(response)
        }
        return response
    }

    /// An upstream error answer as a canonical error, with the upstream's `Retry-After` kept.
    private func failure(_ response: UpstreamResponse) async throws(GatewayError) -> GatewayError {
        let body = try? await Self.collect(response.body)
        var error = configuration.dialect.decodeError(status: response.status, body: body)
        if let retryAfter = response.headers.first(name: "retry-after").flatMap({ Int($0) }) {
            error.retryAfterSeconds = retryAfter
        }
        return error
    }

    /// Reads a JSON answer whole, refusing one larger than `maxAnswerBytes`.
    private static func collect(_ body: Body) async throws(GatewayError) -> ByteBuffer {
        do {
            return try await body.collect(upTo: maxAnswerBytes)
        } catch let error as GatewayError where error.code == .payloadTooLarge {
            throw GatewayError(.badGateway, "The upstream's answer was larger than expected.", underlying: "\(error)")
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError(.badGateway, "The upstream's answer was cut short.", underlying: "\(error)")
        }
    }
}
