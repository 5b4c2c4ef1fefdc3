public import FilegateCore

extension DialectRoot {
    /// Parses a request head under this root into the client's dialect and the canonical operation.
    ///
    /// Faults are reported in a fixed order, so a request with several gets the same answer from every filegate:
    /// path shape (404), then method (405), then api-version (400), then list parameters (400).
    /// - Parameters:
    ///   - path: the request path, root included, without the query.
    ///   - query: the text after `?`, if any.
    public func parse(method: String, path: String, query: String?) throws(GatewayError) -> InboundRequest {
        let resource = try self.resource(path: path)
        let parameters = QueryParameters(query)
        switch resource {
        case .collection:
            switch method {
            case "GET":
                let dialect = try dialect(parameters)
                return InboundRequest(dialect: dialect, operation: .listFiles(try Self.listQuery(parameters)))
            case "POST":
                return InboundRequest(dialect: try dialect(parameters), operation: .createFile)
            default:
                throw Self.methodNotAllowed(method, allowed: ["GET", "POST"])
            }
        case .file(let id):
            switch method {
            case "GET": return InboundRequest(dialect: try dialect(parameters), operation: .retrieveFile(id))
            case "DELETE": return InboundRequest(dialect: try dialect(parameters), operation: .deleteFile(id))
            default: throw Self.methodNotAllowed(method, allowed: ["DELETE", "GET"])
            }
        case .content(let id):
            guard method == "GET" else { throw Self.methodNotAllowed(method, allowed: ["GET"]) }
            return InboundRequest(dialect: try dialect(parameters), operation: .fileContent(id))
        }
    }

    /// What a path under the root names.
    private enum Resource {
        case collection
        case file(FileID)
        case content(FileID)
    }

    /// `""` → the collection, `/{id}` → a file, `/{id}/content` → its content; anything else is not found.
    private func resource(path: String) throws(GatewayError) -> Resource {
        guard let rest = remainder(of: path) else { throw .notFound("No such resource.") }
        if rest.isEmpty { return .collection }
        let segments = rest.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        // `rest` starts with "/", so the first segment is empty and the id is the second.
        guard segments.count == 2 || (segments.count == 3 && segments[2].elementsEqual("content".utf8)) else {
            throw .notFound("No such resource.")
        }
        guard let text = PercentEncoding.decode(Substring(segments[1]), plusIsSpace: false),
            let id = FileID(rawValue: text)
        else { throw .notFound() }
        return segments.count == 2 ? .file(id) : .content(id)
    }

    /// The dialect the request's api-version selects on this root.
    private func dialect(_ parameters: QueryParameters) throws(GatewayError) -> Dialect {
        switch self {
        case .openAI:
            return .openAI
        case .azureV1:
            guard let text = try parameters.single("api-version") else { return .azureV1(.v1) }
            guard let version = AzureV1Version(rawValue: text) else {
                let accepted = AzureV1Version.allCases.map(\.rawValue).joined(separator: ", ")
                throw .invalidRequest(
                    "Unsupported api-version '\(text)'. Accepted values: \(accepted).",
                    param: "api-version"
                )
            }
            return .azureV1(version)
        case .azureLegacy:
            guard let text = try parameters.single("api-version") else {
                throw .invalidRequest("Missing api-version. " + Self.legacyVersionFormat, param: "api-version")
            }
            guard let version = LegacyAPIVersion(text) else {
                throw .invalidRequest(
                    "Unsupported api-version '\(text)'. " + Self.legacyVersionFormat,
                    param: "api-version"
                )
            }
            return .azureLegacy(version)
        }
    }

    /// What a dated api-version looks like, for the errors that refuse one.
    private static let legacyVersionFormat =
        "The api-version query parameter must be a date YYYY-MM-DD or YYYY-MM-DD-preview, "
        + "from \(LegacyAPIVersion.oldest) on."

    /// `limit` (1...10000), `order` (asc, desc), `after` and `purpose`, the same on every root
    /// (DESIGN.md "Lists on the dated root"). Empty `after` and `purpose` mean absent.
    private static func listQuery(_ parameters: QueryParameters) throws(GatewayError) -> ListQuery {
        var query = ListQuery()
        if let text = try parameters.single("limit") {
            guard let limit = Int(text), ListQuery.limitRange.contains(limit) else {
                throw .invalidRequest(
                    "limit must be an integer from \(ListQuery.limitRange.lowerBound) to "
                        + "\(ListQuery.limitRange.upperBound).",
                    param: "limit"
                )
            }
            query.limit = limit
        }
        if let text = try parameters.single("order") {
            guard let order = ListQuery.Order(rawValue: text) else {
                throw .invalidRequest("order must be 'asc' or 'desc'.", param: "order")
            }
            query.order = order
        }
        if let after = try parameters.single("after"), !after.isEmpty {
            query.after = after
        }
        if let purpose = try parameters.single("purpose"), !purpose.isEmpty {
            query.purpose = Purpose(rawValue: purpose)
        }
        return query
    }

    private static func methodNotAllowed(_ method: String, allowed: [String]) -> GatewayError {
        GatewayError(
            .methodNotAllowed,
            "Method \(method) is not allowed here. Allowed: \(allowed.joined(separator: ", ")).",
            allowedMethods: allowed
        )
    }
}
