public import FilegateCore
import FilegateDialects
import FilegateWire
public import Logging
import NIOCore

/// The per-request path of DESIGN.md: pick the dialect, authenticate, parse, route, call the backend, render.
///
/// Everything a request touches after the listener is here, in order; the stages live in their own files
/// (dialect codecs in FilegateDialects, `ClientKeyring`, `CreateFileRequest`).
public struct Gateway: Sendable {
    /// Where each client's requests go until file ids are routed: its `default_backend`.
    public struct Route: Sendable {
        public var backendName: String
        public var backend: any Backend
        /// Filled in when a create carries no `expires_after` (DESIGN.md "expires_after").
        public var defaultExpiresAfterSeconds: Int64?
        /// The largest create body, in HTTP body bytes, that this backend takes.
        public var maxUploadBytes: Int64

        public init(
            backendName: String,
            backend: any Backend,
            defaultExpiresAfterSeconds: Int64?,
            maxUploadBytes: Int64
        ) {
            self.backendName = backendName
            self.backend = backend
            self.defaultExpiresAfterSeconds = defaultExpiresAfterSeconds
            self.maxUploadBytes = maxUploadBytes
        }
    }

    /// Settings the gateway reads per request.
    public struct Settings: Sendable {
        /// Where clients reach filegate; dated creates name the new file under it (`Location`).
        public var publicBaseURL: String
        /// The normalised `host:port` of every URL naming filegate (`publicBaseURL` and `otherURLs`): an
        /// absolute-form target naming anything else is refused, since filegate is no forward proxy.
        public var ownAuthorities: Set<String>
        /// Whether an answered request gets its info line (`access_log`); a failed one is logged either way.
        public var accessLog: Bool

        /// - Parameter otherURLs: further URLs that reach filegate, such as the address it bound.
        public init(publicBaseURL: String, otherURLs: [String] = [], accessLog: Bool = true) {
            self.publicBaseURL = publicBaseURL
            self.ownAuthorities = Set(([publicBaseURL] + otherURLs).compactMap(RequestTarget.authority(ofURL:)))
            self.accessLog = accessLog
        }
    }

    private let keyring: ClientKeyring
    private let routes: [String: Route]
    private let settings: Settings
    private let spool: FilePartSpool
    private let logger: Logger

    /// - Parameter routes: by client name; a client without a route is refused (403).
    public init(
        keyring: ClientKeyring,
        routes: [String: Route],
        settings: Settings,
        spool: FilePartSpool,
        logger: Logger
    ) {
        self.keyring = keyring
        self.routes = routes
        self.settings = settings
        self.spool = spool
        self.logger = logger
    }

    public func respond(to request: GatewayRequest) async -> GatewayResponse {
        let requestID = RequestID.make()
        var log = RequestLog(requestID: requestID)
        guard let root = DialectRoot.matching(path: request.head.path) else {
            let error = DialectRoot.unmatched(method: request.head.method)
            let dialect = DialectRoot.nearest(to: request.head.path).errorDialect
            return finish(.failure(error), dialect: dialect, requestID: requestID, log: log)
        }
        var dialect = root.errorDialect
        var context = BackendContext(requestID: requestID.description)
        do throws(GatewayError) {
            let client = try authenticate(request.head.headers)
            log.client = client.name
            let inbound = try root.parse(
                method: request.head.method,
                path: request.head.path,
                query: request.head.query
            )
            dialect = inbound.dialect
            log.operation = inbound.operation.name
            context.forwardedHeaders = HeaderAllowlist.towardUpstream(
                request.head.headers,
                for: Self.allowlistKind(inbound.operation)
            ).map { (name: $0.0, value: $0.1) }
            guard let route = routes[client.name] else {
                throw GatewayError(.forbidden, "This key may not use any backend.")
            }
            log.backend = route.backendName
            let rendered = try await perform(
                inbound.operation,
                on: route,
                dialect: dialect,
                request: request,
                context: &context
            )
            return finish(.success(rendered), dialect: dialect, requestID: requestID, context: context, log: log)
        } catch {
            return finish(.failure(error), dialect: dialect, requestID: requestID, context: context, log: log)
        }
    }

    /// Which client headers may go upstream depends on what is asked (DESIGN.md "Headers, both ways").
    private static func allowlistKind(_ operation: FilegateCore.Operation) -> HeaderAllowlist.Request {
        switch operation {
        case .createFile: .create
        case .fileContent: .content
        case .listFiles, .retrieveFile, .deleteFile: .metadata
        }
    }

    /// Whether a request whose absolute-form target named `authority` (nil: origin form) is for filegate itself
    /// (issue 5 point 1).
    public func serves(authority: String?) -> Bool {
        authority.map(settings.ownAuthorities.contains) ?? true
    }

    /// Answers an error raised before any dialect is known (a request filegate could not parse): OpenAI's shape.
    public func render(_ error: GatewayError) -> GatewayResponse {
        let requestID = RequestID.make()
        return finish(.failure(error), dialect: .openAI, requestID: requestID, log: RequestLog(requestID: requestID))
    }

    /// Answers an error on a connection none of whose requests was read (turned away when overloaded): OpenAI's
    /// shape, with no request id and no log line.
    public static func renderWithoutRequest(_ error: GatewayError) -> GatewayResponse {
        GatewayResponse(Dialect.openAI.renderError(error))
    }

    private func authenticate(_ headers: HTTPHeaders) throws(GatewayError) -> ClientConfig {
        try keyring.authenticate(apiKeyValues: headers["api-key"], authorizationValues: headers["authorization"])
    }

    private func perform(
        _ operation: FilegateCore.Operation,
        on route: Route,
        dialect: Dialect,
        request: GatewayRequest,
        context: inout BackendContext
    ) async throws(GatewayError) -> GatewayResponse {
        let backend = route.backend
        switch operation {
        case .createFile:
            let create = CreateFileRequest(
                head: request.head,
                maxUploadBytes: route.maxUploadBytes,
                defaultExpiresAfterSeconds: route.defaultExpiresAfterSeconds,
                spool: spool
            )
            let file = try await create.run(
                body: request.body,
                sendContinue: request.sendContinue,
                backend: backend,
                context: &context
            )
            return GatewayResponse(dialect.renderCreated(file, publicBaseURL: settings.publicBaseURL))
        case .listFiles(let query):
            return GatewayResponse(dialect.renderList(try await backend.listFiles(query, context: &context)))
        case .retrieveFile(let id):
            return GatewayResponse(dialect.renderFile(try await backend.retrieveFile(id, context: &context)))
        case .deleteFile(let id):
            return GatewayResponse(dialect.renderDeletion(try await backend.deleteFile(id, context: &context)))
        case .fileContent(let id):
            let content = try await backend.fileContent(id, context: &context)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: content.contentType)
            return GatewayResponse(
                status: content.isPartial ? 206 : 200,
                headers: headers,
                content: .stream(content.body)
            )
        }
    }

    /// Renders errors in the client's dialect, adds the request id (the upstream's when it gave one, DESIGN.md
    /// "Headers, both ways") and the backend's answer headers, and logs one line per request.
    private func finish(
        _ result: Result<GatewayResponse, GatewayError>,
        dialect: Dialect,
        requestID: RequestID,
        context: BackendContext? = nil,
        log: RequestLog
    ) -> GatewayResponse {
        var response: GatewayResponse
        switch result {
        case .success(let answer):
            response = answer
            if settings.accessLog {
                logger.info(
                    "request done",
                    metadata: log.metadata(status: answer.status, upstreamRequestID: context?.upstreamRequestID)
                )
            }
        case .failure(let error):
            response = GatewayResponse(dialect.renderError(error))
            let level: Logger.Level = error.status >= 500 ? .error : .info
            logger.log(
                level: level,
                "request failed: \(error.message)",
                metadata: log.metadata(
                    status: error.status,
                    upstreamRequestID: context?.upstreamRequestID,
                    error: error
                )
            )
        }
        for (name, value) in context?.answerHeaders ?? [] { response.headers.add(name: name, value: value) }
        let shownID = context?.upstreamRequestID ?? requestID.description
        response.headers.replaceOrAdd(name: dialect.profile.requestIDHeader, value: shownID)
        return response
    }
}

/// What the one log line of a request says besides its message, gathered as the request goes and turned into
/// metadata once: setting the logger's metadata at each stage copied its dictionary four times per request.
private struct RequestLog {
    var requestID: RequestID
    var client: String?
    var operation: String?
    var backend: String?

    func metadata(status: Int, upstreamRequestID: String?, error: GatewayError? = nil) -> Logger.Metadata {
        var metadata: Logger.Metadata = [LogKey.requestID: "\(requestID)", LogKey.status: "\(status)"]
        if let error {
            metadata[LogKey.errorCode] = "\(error.code.rawValue)"
            if let underlying = error.underlying { metadata[LogKey.underlying] = "\(underlying)" }
        }
        if let client { metadata[LogKey.client] = "\(client)" }
        if let operation { metadata[LogKey.operation] = "\(operation)" }
        if let backend { metadata[LogKey.backend] = "\(backend)" }
        if let upstreamRequestID { metadata[LogKey.upstreamRequestID] = "\(upstreamRequestID)" }
        return metadata
    }
}

extension GatewayResponse {
    /// A dialect's rendered answer as the listener writes it.
    init(_ rendered: RenderedResponse) {
        var headers = HTTPHeaders()
        for (name, value) in rendered.headers { headers.add(name: name, value: value) }
        self.init(status: rendered.status, headers: headers, content: rendered.body.map { .buffer($0) } ?? .empty)
    }
}
