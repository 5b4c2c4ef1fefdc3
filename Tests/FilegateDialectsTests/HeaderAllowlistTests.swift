import FilegateDialects
import FilegateWire
import Testing

/// Header pairs as `Name: value` lines, so two lists compare with both sides shown.
private func lines(_ pairs: [(String, String)]) -> [String] {
    pairs.map { "\($0.0): \($0.1)" }
}

@Suite("HeaderAllowlist")
struct HeaderAllowlistTests {
    static let kinds: [HeaderAllowlist.Request] = [.create, .content, .metadata]

    /// One client header alone, and on which upstream requests it passes, in which spelling.
    static let towardUpstreamRows: [(name: String, value: String, passesOn: Set<HeaderAllowlist.Request>, as: String)] =
        [
            ("Content-Type", "application/json", [.content, .metadata], "Content-Type"),
            ("content-TYPE", "multipart/form-data; boundary=x", [.content, .metadata], "Content-Type"),
            ("Accept", "application/json", [.create, .content, .metadata], "Accept"),
            ("ACCEPT", "*/*", [.create, .content, .metadata], "Accept"),
            ("User-Agent", "OpenAI/Python 3.57.0", [.create, .content, .metadata], "User-Agent"),
            ("user-agent", "curl/7.88.1", [.create, .content, .metadata], "User-Agent"),
            ("Accept-Encoding", "gzip, deflate", [.content], "Accept-Encoding"),
            ("accept-encoding", "identity", [.content], "Accept-Encoding"),
            ("Range", "bytes=0-99", [.content], "Range"),
            ("range", "bytes=-5", [.content], "Range"),
        ]

    @Test(arguments: towardUpstreamRows)
    func anAllowedHeaderPassesWhereItBelongs(
        name: String,
        value: String,
        passesOn: Set<HeaderAllowlist.Request>,
        as spelling: String
    ) {
        for kind in Self.kinds {
            let passed = HeaderAllowlist.towardUpstream(HTTPHeaders([(name, value)]), for: kind)
            let expected = passesOn.contains(kind) ? ["\(spelling): \(value)"] : []
            #expect(lines(passed) == expected, "\(kind)")
        }
    }

    /// Client headers that never reach the upstream, whatever the request: DESIGN.md's list and issue 5 point 5.
    static let deniedTowardUpstream: [(String, String)] = [
        ("Authorization", "Bearer sk-client"),
        ("authorization", "Bearer sk-client"),
        ("api-key", "client-key"),
        ("API-KEY", "client-key"),
        ("Cookie", "session=1"),
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Forwarded-Host", "evil.example"),
        ("X-Forwarded-Proto", "https"),
        ("Forwarded", "for=10.0.0.1"),
        ("X-Real-IP", "10.0.0.1"),
        ("Connection", "keep-alive"),
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Connection", "keep-alive"),
        ("TE", "trailers"),
        ("Trailer", "X-Checksum"),
        ("Upgrade", "h2c"),
        ("Upgrade", "websocket"),
        ("HTTP2-Settings", "AAMAAABkAAQAAP__"),
        ("Proxy-Authorization", "Basic dXNlcjpwYXNz"),
        ("Host", "upstream.example"),
        ("Content-Length", "42"),
        ("Transfer-Encoding", "chunked"),
        ("Expect", "100-continue"),
        ("x-filegate-backend", "other"),
        ("X-Filegate-Anything", "1"),
        ("OpenAI-Organization", "org-client"),
        ("OpenAI-Project", "proj-client"),
        ("x-stainless-lang", "python"),
        ("X-Request-ID", "client-chosen"),
        ("Origin", "https://evil.example"),
        ("Referer", "https://evil.example/"),
        ("Via", "1.1 proxy"),
        ("Cache-Control", "no-cache"),
        ("If-Range", "\"etag\""),
        ("Content-Range", "bytes 0-1/2"),
        ("Content-Encoding", "gzip"),
    ]

    @Test(arguments: deniedTowardUpstream)
    func aHeaderOffTheListNeverReachesTheUpstream(name: String, value: String) {
        for kind in Self.kinds {
            #expect(lines(HeaderAllowlist.towardUpstream(HTTPHeaders([(name, value)]), for: kind)) == [], "\(kind)")
        }
    }

    /// A client's headers, the request kind, and what passes, in order.
    static let towardUpstreamCombinations:
        [(
            label: String, headers: [(String, String)], kind: HeaderAllowlist.Request,
            expected: [String]
        )] = [
            (
                "the SDK's create: only Accept and User-Agent",
                [
                    ("Host", "filegate"), ("Accept-Encoding", "gzip, deflate"), ("Connection", "keep-alive"),
                    ("authorization", "Bearer sk"), ("accept", "application/json"),
                    ("user-agent", "OpenAI/Python 3.57.0"),
                    ("x-stainless-lang", "python"), ("Content-Length", "540"),
                    ("Content-Type", "multipart/form-data; boundary=5ea2"),
                ], .create, ["Accept: application/json", "User-Agent: OpenAI/Python 3.57.0"]
            ),
            (
                "a content download keeps the client's order",
                [
                    ("Range", "bytes=0-9"), ("api-key", "k"), ("Accept", "*/*"), ("Accept-Encoding", "br"),
                    ("User-Agent", "curl/7.88.1"),
                ], .content, ["Range: bytes=0-9", "Accept: */*", "Accept-Encoding: br", "User-Agent: curl/7.88.1"]
            ),
            (
                "repeated list headers pass line by line", [("Accept", "application/json"), ("Accept", "text/plain")],
                .metadata, ["Accept: application/json", "Accept: text/plain"]
            ),
            (
                "a repeated User-Agent is dropped", [("User-Agent", "a"), ("Accept", "*/*"), ("user-agent", "b")],
                .metadata, ["Accept: */*"]
            ),
            ("a repeated Range is dropped", [("Range", "bytes=0-1"), ("Range", "bytes=5-9")], .content, []),
            (
                "a repeated Content-Type is dropped",
                [("Content-Type", "application/json"), ("content-type", "text/plain")],
                .metadata, []
            ),
            ("Connection: accept drops Accept", [("Connection", "accept"), ("Accept", "*/*")], .metadata, []),
            (
                "Connection after the header it names still drops it",
                [("User-Agent", "curl"), ("Accept", "*/*"), ("Connection", "User-Agent")], .metadata, ["Accept: */*"]
            ),
            (
                "Connection with several tokens, spaces and case",
                [
                    ("Connection", "close,  USER-AGENT ,\trange,,"), ("User-Agent", "curl"), ("Range", "bytes=0-1"),
                    ("Accept", "*/*"), ("Accept-Encoding", "gzip"),
                ],
                .content, ["Accept: */*", "Accept-Encoding: gzip"]
            ),
            (
                "several Connection headers add up",
                [
                    ("Connection", "keep-alive"), ("Connection", "Accept-Encoding"), ("Accept-Encoding", "gzip"),
                    ("Content-Type", "application/json"),
                ],
                .content, ["Content-Type: application/json"]
            ),
            (
                "a Connection-named key still stays behind",
                [("Connection", "authorization"), ("Authorization", "Bearer k")],
                .metadata, []
            ),
            (
                "values with CR, LF, NUL or DEL are dropped, HTAB is kept",
                [
                    ("Accept", "a\rb"), ("Accept", "a\nb"), ("Accept", "a\u{0}b"), ("Accept", "a\u{7F}b"),
                    ("Accept", "text/plain;\tq=0.5"), ("User-Agent", "x\r\nApi-Key: stolen"),
                ],
                .metadata, ["Accept: text/plain;\tq=0.5"]
            ),
        ]

    @Test(arguments: towardUpstreamCombinations)
    func towardUpstream(label: String, headers: [(String, String)], kind: HeaderAllowlist.Request, expected: [String]) {
        #expect(lines(HeaderAllowlist.towardUpstream(HTTPHeaders(headers), for: kind)) == expected, "\(label)")
    }

    /// One upstream header alone: whether it passes on a content download and on other answers, and as what.
    static let towardClientRows: [(name: String, value: String, onContent: Bool, onOther: Bool, as: String)] = [
        ("Content-Type", "application/octet-stream", true, false, "Content-Type"),
        ("content-type", "application/json", true, false, "Content-Type"),
        ("Content-Disposition", "attachment; filename=\"a.jsonl\"", true, false, "Content-Disposition"),
        ("Content-Encoding", "gzip", true, false, "Content-Encoding"),
        ("Content-Range", "bytes 0-9/100", true, false, "Content-Range"),
        ("Retry-After", "20", true, true, "Retry-After"),
        ("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT", true, true, "Retry-After"),
        ("x-ratelimit-limit-requests", "500", true, true, "x-ratelimit-limit-requests"),
        ("X-RateLimit-Remaining-Tokens", "9000", true, true, "x-ratelimit-remaining-tokens"),
        ("x-ratelimit-reset-requests", "1s", true, true, "x-ratelimit-reset-requests"),
    ]

    @Test(arguments: towardClientRows)
    func anAllowedUpstreamHeaderPassesWhereItBelongs(
        name: String,
        value: String,
        onContent: Bool,
        onOther: Bool,
        as spelling: String
    ) {
        let headers = HTTPHeaders([(name, value)])
        #expect(
            lines(HeaderAllowlist.towardClient(headers, forContent: true))
                == (onContent ? ["\(spelling): \(value)"] : [])
        )
        #expect(
            lines(HeaderAllowlist.towardClient(headers, forContent: false))
                == (onOther ? ["\(spelling): \(value)"] : [])
        )
    }

    /// Upstream headers that never reach the client.
    static let deniedTowardClient: [(String, String)] = [
        ("Content-Length", "100"),
        ("Transfer-Encoding", "chunked"),
        ("Connection", "close"),
        ("Keep-Alive", "timeout=5"),
        ("Proxy-Connection", "keep-alive"),
        ("Trailer", "X-Checksum"),
        ("Upgrade", "h2c"),
        ("Set-Cookie", "__cf_bm=1; path=/"),
        ("Server", "cloudflare"),
        ("Date", "Wed, 21 Oct 2026 07:28:00 GMT"),
        ("Location", "https://upstream.example/v1/files/file-1"),
        ("x-request-id", "req_1"),
        ("apim-request-id", "0b8e"),
        ("openai-organization", "org-upstream"),
        ("openai-processing-ms", "12"),
        ("Strict-Transport-Security", "max-age=31536000"),
        ("Alt-Svc", "h3=\":443\""),
        ("Via", "1.1 google"),
        ("WWW-Authenticate", "Bearer"),
        ("Proxy-Authenticate", "Basic"),
        ("x-filegate-backend", "openai"),
        ("Access-Control-Allow-Origin", "*"),
        ("ETag", "\"abc\""),
    ]

    @Test(arguments: deniedTowardClient)
    func anUpstreamHeaderOffTheListNeverReachesTheClient(name: String, value: String) {
        let headers = HTTPHeaders([(name, value)])
        #expect(lines(HeaderAllowlist.towardClient(headers, forContent: true)) == [])
        #expect(lines(HeaderAllowlist.towardClient(headers, forContent: false)) == [])
    }

    /// An upstream's headers, whether the answer is content, and what passes, in order.
    static let towardClientCombinations:
        [(
            label: String, headers: [(String, String)], forContent: Bool,
            expected: [String]
        )] = [
            (
                "a content download",
                [
                    ("Date", "d"), ("Content-Type", "application/octet-stream"), ("Content-Length", "40"),
                    ("Content-Disposition", "attachment; filename=\"x\""), ("x-request-id", "req_1"),
                    ("x-ratelimit-remaining-requests", "499"), ("Connection", "keep-alive"),
                ], true,
                [
                    "Content-Type: application/octet-stream", "Content-Disposition: attachment; filename=\"x\"",
                    "x-ratelimit-remaining-requests: 499",
                ]
            ),
            (
                "a 429 error: filegate writes the body",
                [
                    ("Content-Type", "application/json"), ("Content-Length", "120"), ("Retry-After", "2"),
                    ("x-ratelimit-reset-tokens", "2s"),
                ], false, ["Retry-After: 2", "x-ratelimit-reset-tokens: 2s"]
            ),
            (
                "Connection naming Retry-After drops it",
                [
                    ("Connection", "Retry-After, x-ratelimit-limit-requests"),
                    ("Retry-After", "2"), ("x-ratelimit-limit-requests", "500"),
                    ("x-ratelimit-remaining-requests", "1"),
                ],
                false, ["x-ratelimit-remaining-requests: 1"]
            ),
            ("a repeated Retry-After is dropped", [("Retry-After", "2"), ("Retry-After", "30")], false, []),
            (
                "a repeated Content-Encoding passes line by line",
                [("Content-Encoding", "gzip"), ("Content-Encoding", "br")],
                true, ["Content-Encoding: gzip", "Content-Encoding: br"]
            ),
            (
                "a value with CR or LF is dropped",
                [
                    ("Retry-After", "2\r\nSet-Cookie: a=b"), ("Content-Type", "text/plain\n"),
                    ("x-ratelimit-limit", "1"),
                ],
                true, ["x-ratelimit-limit: 1"]
            ),
        ]

    @Test(arguments: towardClientCombinations)
    func towardClient(label: String, headers: [(String, String)], forContent: Bool, expected: [String]) {
        #expect(
            lines(HeaderAllowlist.towardClient(HTTPHeaders(headers), forContent: forContent)) == expected,
            "\(label)"
        )
    }

    /// An upstream's headers and the request id taken from them.
    static let requestIDs: [(label: String, headers: [(String, String)], expected: String?)] = [
        ("OpenAI", [("x-request-id", "req_abc123")], "req_abc123"),
        (
            "Azure", [("apim-request-id", "0b8e2d3c-1a2b-4c5d-8e9f-0a1b2c3d4e5f")],
            "0b8e2d3c-1a2b-4c5d-8e9f-0a1b2c3d4e5f"
        ),
        ("both: x-request-id first", [("apim-request-id", "apim-1"), ("x-request-id", "x-1")], "x-1"),
        ("any case", [("X-Request-ID", "req_1")], "req_1"),
        ("neither", [("Content-Type", "application/json")], nil),
        (
            "a control byte falls back to the other", [("x-request-id", "a\r\nb"), ("apim-request-id", "apim-2")],
            "apim-2"
        ),
        ("a space is refused", [("x-request-id", "a b")], nil),
        ("empty", [("x-request-id", "")], nil),
        ("200 characters", [("x-request-id", String(repeating: "a", count: 200))], String(repeating: "a", count: 200)),
        ("201 characters", [("x-request-id", String(repeating: "a", count: 201))], nil),
        ("repeated: the first plausible one", [("x-request-id", "\u{7F}"), ("x-request-id", "req_2")], "req_2"),
    ]

    @Test(arguments: requestIDs)
    func upstreamRequestID(label: String, headers: [(String, String)], expected: String?) {
        #expect(HeaderAllowlist.upstreamRequestID(HTTPHeaders(headers)) == expected, "\(label)")
    }
}
