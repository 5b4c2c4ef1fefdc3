/// A parsed request line and header section.
///
/// Only the raw parts are stored; `path`, `query`, `keepAlive`, `expectsContinue` and `framing` are derived from them
/// so a head built by hand (in tests, or by the gateway) cannot disagree with itself.
public struct RequestHead: Sendable, Hashable {
    public var method: String
    /// The request-target in origin form: as sent, or an absolute-form target's path and query (see `authority`).
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The `host:port` an absolute-form target named (`RequestTarget`), whose origin form is then `target`; nil for
    /// an origin-form target. The gateway serves it only when it names filegate itself.
    public var authority: String?

    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders()) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// The target up to its first `?`.
    public var path: String {
        guard let mark = target.utf8.firstIndex(of: ASCII.questionMark) else { return target }
        return String(target[..<mark])
    }

    /// The raw query after the first `?`, not percent-decoded; nil when the target has no `?`.
    public var query: String? {
        guard let mark = target.utf8.firstIndex(of: ASCII.questionMark) else { return nil }
        return String(target[target.utf8.index(after: mark)...])
    }

    /// Whether the connection stays open after this request (RFC 9112 §9.3).
    ///
    /// HTTP/1.1 persists unless a `Connection` field lists `close`; HTTP/1.0 only when one lists `keep-alive`.
    public var keepAlive: Bool {
        let options = headers["Connection"].flatMap { $0.split(separator: ",") }.map {
            $0.trimmingWhitespace()
        }
        if version.major == 1, version.minor >= 1 {
            return !options.contains { ASCII.equalsIgnoringCase($0, "close") }
        }
        return options.contains { ASCII.equalsIgnoringCase($0, "keep-alive") }
    }

    /// Whether the client waits for `100 Continue` before sending its body (RFC 9110 §10.1.1).
    public var expectsContinue: Bool {
        headers["Expect"].contains { ASCII.equalsIgnoringCase($0.trimmingWhitespace(), "100-continue") }
    }

    /// The body's framing; `RequestParser` has already refused a head whose framing fields conflict.
    public var framing: BodyFraming {
        if headers.contains(name: "Transfer-Encoding") {
            return .chunked
        }
        if let length = headers.first(name: "Content-Length").flatMap({ ASCII.decimal($0.utf8) }) {
            return .length(length)
        }
        return .none
    }
}
