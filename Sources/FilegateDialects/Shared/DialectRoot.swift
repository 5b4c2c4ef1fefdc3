/// The three path roots filegate serves, one per client dialect (DESIGN.md "The three dialects, side by side").
///
/// The root is known from the path alone, before the request's api-version is read, so it also decides how an
/// error raised before the dialect is known is rendered (`errorDialect`).
public enum DialectRoot: Sendable, Hashable, CaseIterable {
    case openAI
    case azureV1
    case azureLegacy

    /// The path prefix of this root, without a trailing slash.
    public var pathRoot: String {
        switch self {
        case .openAI: "/v1/files"
        case .azureV1: "/openai/v1/files"
        case .azureLegacy: "/openai/files"
        }
    }

    /// The dialect that renders an error when the request's own api-version could not be parsed.
    ///
    /// For the dated root that is the newest stable version filegate knows (2024-10-21), whose body shape every
    /// dated client reads.
    public var errorDialect: Dialect {
        switch self {
        case .openAI: .openAI
        case .azureV1: .azureV1(.v1)
        case .azureLegacy: .azureLegacy(.errorFallback)
        }
    }

    /// The root whose clients would send `path`, one under no root, so that its 404 comes in their error shape:
    /// `/openai/v1/…` is an Azure v1 client's, any other `/openai/…` a dated Azure client's, the rest OpenAI's.
    public static func nearest(to path: String) -> DialectRoot {
        if path == "/openai/v1" || path.hasPrefix("/openai/v1/") { return .azureV1 }
        if path == "/openai" || path.hasPrefix("/openai/") { return .azureLegacy }
        return .openAI
    }

    /// The root `path` falls under: the root itself, or the root followed by `/`.
    public static func matching(path: String) -> DialectRoot? {
        allCases.first { $0.remainder(of: path) != nil }
    }

    /// The bytes of `path` after this root (empty, or starting with `/`); nil when `path` is not under it.
    ///
    /// On UTF-8 bytes: a request target is visible ASCII, and comparing, dropping and splitting it by `Character`
    /// was most of the time a request took to parse.
    func remainder(of path: String) -> Substring.UTF8View? {
        let root = pathRoot.utf8
        guard path.utf8.starts(with: root) else { return nil }
        let rest = path.utf8.dropFirst(root.count)
        return rest.isEmpty || rest.first == UInt8(ascii: "/") ? rest : nil
    }
}
