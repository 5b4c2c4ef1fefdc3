public import FilegateCore

extension Dialect {
    /// The method and request target (path and query) a server of this dialect accepts for `operation`.
    ///
    /// The dated dialect adds its `api-version`; v1 adds `api-version=preview` only for preview; list parameters
    /// appear only when they differ from the defaults. `DialectRoot.parse` reads the result back as the same
    /// dialect and operation.
    public func encodeHead(_ operation: Operation) -> (method: String, target: String) {
        var items: [(String, String)] = []
        switch self {
        case .openAI, .azureV1(.v1): break
        case .azureV1(.preview): items.append(("api-version", AzureV1Version.preview.rawValue))
        case .azureLegacy(let version): items.append(("api-version", version.description))
        }
        let root = self.root.pathRoot
        let method: String
        let path: String
        switch operation {
        case .createFile:
            (method, path) = ("POST", root)
        case .listFiles(let query):
            (method, path) = ("GET", root)
            if let purpose = query.purpose, !purpose.rawValue.isEmpty { items.append(("purpose", purpose.rawValue)) }
            if query.limit != ListQuery.defaultLimit { items.append(("limit", String(query.limit))) }
            if query.order != .desc { items.append(("order", query.order.rawValue)) }
            if let after = query.after, !after.isEmpty { items.append(("after", after)) }
        case .retrieveFile(let id):
            (method, path) = ("GET", root + "/" + id.rawValue)
        case .deleteFile(let id):
            (method, path) = ("DELETE", root + "/" + id.rawValue)
        case .fileContent(let id):
            (method, path) = ("GET", root + "/" + id.rawValue + "/content")
        }
        guard !items.isEmpty else { return (method, path) }
        let query = items.map { PercentEncoding.encode($0.0) + "=" + PercentEncoding.encode($0.1) }
        return (method, path + "?" + query.joined(separator: "&"))
    }
}
