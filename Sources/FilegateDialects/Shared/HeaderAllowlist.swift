public import FilegateWire

/// Which headers cross filegate, each way: a short allowlist, everything else stays behind.
///
/// DESIGN.md "Headers, both ways, by allowlist" and issue 5 point 5: the client's key (`Authorization`, `api-key`),
/// `Cookie`, `X-Forwarded-*`, `x-filegate-*`, framing (`Host`, `Content-Length`, `Transfer-Encoding`, `Expect`) and
/// hop-by-hop headers (`Connection`, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`, `Upgrade`,
/// `HTTP2-Settings`, `Proxy-Authorization`) are never on a list, so they never pass. An allowed header is still
/// dropped when a `Connection` header names it (RFC 9110 §7.6.1), when its value holds a control byte other than
/// HTAB (CR, LF, NUL: it could split the line it is written into), or, for a header that takes one value, when it
/// comes more than once (which of them was meant is unknowable). Names are written in the allowlist's spelling.
public enum HeaderAllowlist {
    /// What the upstream request is, which decides the client headers that pass toward it.
    public enum Request: Hashable, Sendable {
        /// A create: filegate writes the multipart body itself (`MultipartWriter`), so the client's `Content-Type`,
        /// whose boundary belongs to the client's body, stays behind; the request carries the writer's.
        /// `Accept` and `User-Agent` pass.
        case create
        /// A content download: the bytes pass unchanged, so `Accept-Encoding` and `Range` pass too, besides
        /// `Content-Type`, `Accept` and `User-Agent`.
        case content
        /// Retrieve, list, delete: `Content-Type`, `Accept` and `User-Agent` pass.
        case metadata
    }

    /// A header name on a list, in the spelling it is written in, and how it may occur.
    private typealias AllowedHeader = (name: String, occurrence: Occurrence)

    /// How an allowed header may occur.
    private enum Occurrence {
        /// Each field line passes on its own (a comma-separated list header).
        case list
        /// One value only: the header passes when it comes once, and not at all when repeated.
        case single
    }

    /// The client headers to send upstream, in the client's order.
    ///
    /// filegate adds its own besides these: the backend's credential, `Host`, an exact `Content-Length`,
    /// `OpenAI-Organization` / `OpenAI-Project` from the backend's config, an empty `Expect:` and, on a create, the
    /// writer's `Content-Type`.
    public static func towardUpstream(_ client: HTTPHeaders, for request: Request) -> [(String, String)] {
        let allowed =
            switch request {
            case .create: towardUpstreamOnCreate
            case .content: towardUpstreamOnContent
            case .metadata: towardUpstreamOnMetadata
            }
        return filter(client, allowed: allowed, ratelimit: false)
    }

    /// The lists, built once: made per call, they were a tenth of the filter's time.
    private static let towardUpstreamOnCreate: [AllowedHeader] = [("Accept", .list), ("User-Agent", .single)]
    private static let towardUpstreamOnContent: [AllowedHeader] =
        towardUpstreamOnCreate + [("Content-Type", .single), ("Accept-Encoding", .list), ("Range", .single)]
    private static let towardUpstreamOnMetadata: [AllowedHeader] = towardUpstreamOnCreate + [("Content-Type", .single)]
    private static let towardClientOnAnswer: [AllowedHeader] = [("Retry-After", .single)]
    private static let towardClientOnContent: [AllowedHeader] =
        towardClientOnAnswer + [
            ("Content-Type", .single), ("Content-Disposition", .single), ("Content-Encoding", .list),
            ("Content-Range", .single),
        ]

    /// The upstream's answer headers to pass back to the client, in the upstream's order.
    ///
    /// - Parameter forContent: true for a content download whose bytes pass through unchanged: `Content-Type`,
    ///   `Content-Disposition`, `Content-Encoding` and `Content-Range` describe those bytes and pass. On every other
    ///   answer (a file object, a list, an error) filegate writes the body in the client's dialect, so they would
    ///   describe a body the client never gets (a load balancer's `text/html` over filegate's JSON error); the
    ///   renderer sets `Content-Type`. `Retry-After` and `x-ratelimit-*` pass on every answer.
    ///
    /// `Content-Length` never passes, content or not: the listener frames the body it writes itself, from the
    /// `Body`'s known length or chunked, so a second, possibly different length can never reach the client. The
    /// upstream's request id is read by `upstreamRequestID(_:)` and written in the client dialect's header.
    public static func towardClient(_ upstream: HTTPHeaders, forContent: Bool) -> [(String, String)] {
        filter(upstream, allowed: forContent ? towardClientOnContent : towardClientOnAnswer, ratelimit: true)
    }

    /// The upstream's request id: `x-request-id` (OpenAI; Azure sends it too), else `apim-request-id` (Azure).
    ///
    /// Only 1 to 200 visible ASCII characters are taken, since the id is logged and written into a header.
    public static func upstreamRequestID(_ upstream: HTTPHeaders) -> String? {
        for name in ["x-request-id", "apim-request-id"] {
            if let id = upstream[name].first(where: isPlausibleRequestID) { return id }
        }
        return nil
    }

    /// The header names the `Connection` headers list: hop-by-hop for this connection only, compared
    /// case-insensitively as they are.
    private static func connectionTokens(_ headers: HTTPHeaders) -> [String] {
        var tokens: [String] = []
        for value in headers["Connection"] {
            for token in value.split(separator: ",").map(ASCII.trimmed) where !token.isEmpty {
                tokens.append(String(token))
            }
        }
        return tokens
    }

    /// The fields of `headers` whose names are allowed (plus `x-ratelimit-*` when `ratelimit`), by the rules above.
    /// The `Connection` tokens are read only once a field would pass: most answers have none that does.
    private static func filter(
        _ headers: HTTPHeaders,
        allowed: [AllowedHeader],
        ratelimit: Bool
    ) -> [(String, String)] {
        lazy var named = connectionTokens(headers)
        var passed: [(String, String)] = []
        for (name, value) in headers {
            let passingName: String
            if let entry = allowed.first(where: { HTTPHeaders.namesEqual($0.name, name) }) {
                if case .single = entry.occurrence, headers.count(name: name) != 1 { continue }
                passingName = entry.name
            } else if ratelimit, isRateLimitName(name) {
                passingName = lowercased(name)
            } else {
                continue
            }
            guard isSafeValue(value), !named.contains(where: { HTTPHeaders.namesEqual($0, name) }) else { continue }
            passed.append((passingName, value))
        }
        return passed
    }

    /// Whether `name` is `x-ratelimit-` and more, in any case; without lowercasing a copy of every name.
    private static func isRateLimitName(_ name: String) -> Bool {
        let prefix = "x-ratelimit-".utf8
        return name.utf8.count > prefix.count
            && zip(name.utf8, prefix).allSatisfy { ASCII.lowercased($0) == $1 }
    }

    /// Whether a value can be written into a header line as it is: no control byte but HTAB (RFC 9110 §5.5).
    private static func isSafeValue(_ value: String) -> Bool {
        !value.utf8.contains { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }
    }

    private static func isPlausibleRequestID(_ value: String) -> Bool {
        (1...200).contains(value.utf8.count) && value.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// ASCII lowercase; header names are ASCII tokens, and other bytes are left as they are.
    private static func lowercased(_ text: String) -> String {
        String(decoding: text.utf8.map(ASCII.lowercased), as: UTF8.self)
    }
}
