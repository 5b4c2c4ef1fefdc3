public import FilegateCore
public import NIOCore

extension Dialect {
    /// Reads a backend's file object (DESIGN.md "Reading answers"): status words of every vocabulary, any purpose
    /// word, `bytes` missing or null as `nil`. Anything malformed is a 502.
    public func decodeFile(_ json: ByteBuffer) throws(GatewayError) -> FileObject {
        try Self.file(from: Self.parseAnswer(json))
    }

    /// Reads a backend's list page; a list without `has_more` (the dated API) is complete.
    public func decodeList(_ json: ByteBuffer) throws(GatewayError) -> FileList {
        let value = try Self.parseAnswer(json)
        guard case .array(let entries)? = value["data"] else { throw Self.malformed("a list without 'data'") }
        var files: [FileObject] = []
        files.reserveCapacity(entries.count)
        for entry in entries {
            files.append(try Self.file(from: entry))
        }
        return FileList(data: files, hasMore: value["has_more"]?.boolValue ?? false)
    }

    /// Reads a backend's delete answer. An empty body (the dated API's 204) is a deletion of `id`, which the
    /// caller passes because the answer does not name it.
    public func decodeDeletion(_ json: ByteBuffer, id: FileID? = nil) throws(GatewayError) -> FileDeletion {
        if json.readableBytes == 0, let id { return FileDeletion(id: id.rawValue) }
        let value = try Self.parseAnswer(json)
        guard let deletedID = value["id"]?.stringValue else { throw Self.malformed("a deletion without 'id'") }
        return FileDeletion(id: deletedID, deleted: value["deleted"]?.boolValue ?? true)
    }

    /// Reads a backend's error answer: the status is kept, the body mapped (DESIGN.md "Reading answers").
    ///
    /// Reads every dialect's shape, wrapped in `{"error": …}` or bare; `code` may be any string or a number and is
    /// kept for logs. A body that is not JSON (an HTML 503 from a load balancer) gets a message filegate writes.
    public func decodeError(status: Int, body: ByteBuffer?) -> GatewayError {
        let code = Self.code(forUpstreamStatus: status)
        let fallback = "The upstream service answered with status \(status)."
        guard let body, let value = JSONValue.parse(body) else {
            return GatewayError(code, fallback, upstreamStatus: status, underlying: "error body is not JSON")
        }
        let fields = value["error"].flatMap { if case .object = $0 { $0 } else { nil } } ?? value
        let upstreamCode: String? =
            switch fields["code"] {
            case .string(let text)?: text
            case .integer(let number)?: String(number)
            default: nil
            }
        return GatewayError(
            code,
            fields["message"]?.stringValue ?? fallback,
            param: fields["param"]?.stringValue ?? fields["target"]?.stringValue,
            upstreamStatus: status,
            underlying: upstreamCode.map { "upstream code \($0)" }
        )
    }

    /// The canonical code closest to an upstream's status, which the error keeps.
    private static func code(forUpstreamStatus status: Int) -> GatewayError.Code {
        switch status {
        case 401: .unauthorized
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 408: .requestTimeout
        case 413: .payloadTooLarge
        case 414: .uriTooLong
        case 416: .rangeNotSatisfiable
        case 429: .tooManyRequests
        case 431: .headerFieldsTooLarge
        case 500: .internalError
        case 501: .notImplemented
        case 503: .unavailable
        case 504: .upstreamTimeout
        case 505: .httpVersionNotSupported
        case 500...: .badGateway
        default: .invalidRequest
        }
    }

    private static func parseAnswer(_ json: ByteBuffer) throws(GatewayError) -> JSONValue {
        guard let value = JSONValue.parse(json), case .object = value else {
            throw malformed("an answer that is not a JSON object")
        }
        return value
    }

    /// A file object from its JSON, in any dialect's words.
    private static func file(from value: JSONValue) throws(GatewayError) -> FileObject {
        guard let id = value["id"]?.stringValue, let createdAt = value["created_at"]?.integerValue,
            let filename = value["filename"]?.stringValue, let purpose = value["purpose"]?.stringValue,
            let word = value["status"]?.stringValue
        else { throw malformed("a file object without id, created_at, filename, purpose or status") }
        guard let status = StatusVocabulary.read(word) else { throw malformed("a file status '\(word)'") }
        return FileObject(
            id: id,
            bytes: value["bytes"]?.integerValue,
            createdAt: createdAt,
            filename: filename,
            purpose: Purpose(rawValue: purpose),
            status: status,
            statusDetails: value["status_details"]?.stringValue,
            expiresAt: value["expires_at"]?.integerValue
        )
    }

    private static func malformed(_ what: String) -> GatewayError {
        GatewayError(.badGateway, "The upstream service sent an answer filegate cannot read.", underlying: what)
    }
}
