import FilegateCore
import FilegateWire
import NIOCore
import Testing

@Suite("RequestParser")
struct RequestParserTests {
    static func head(
        _ method: String,
        _ target: String,
        _ version: HTTPVersion = .http1_1,
        _ headers: [(String, String)]
    ) -> RequestOutcome {
        .head(RequestHead(method: method, target: target, version: version, headers: HTTPHeaders(headers)))
    }

    static let accepted: [(name: String, input: String, expected: [RequestOutcome])] = [
        (
            "GET without body",
            "GET /v1/files?limit=2 HTTP/1.1\r\nHost: localhost:8080\r\nAccept: */*\r\n\r\n",
            [head("GET", "/v1/files?limit=2", .http1_1, [("Host", "localhost:8080"), ("Accept", "*/*")]), .end]
        ),
        (
            "POST with Content-Length",
            "POST /v1/files HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
            [
                head("POST", "/v1/files", .http1_1, [("Host", "a"), ("Content-Length", "11")]), .body("hello world"),
                .end,
            ]
        ),
        (
            "Content-Length 0",
            "DELETE /v1/files/f HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
            [head("DELETE", "/v1/files/f", .http1_1, [("Host", "a"), ("Content-Length", "0")]), .end]
        ),
        (
            "chunked with extensions and trailers",
            "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n6 ; a=\"q\" ;b\r\n world\r\nA\r\n0123456789\r\n0;last\r\n"
                + "Checksum: abc\r\nX-Other: 1\r\n\r\n",
            [
                head("POST", "/up", .http1_1, [("Host", "a"), ("Transfer-Encoding", "Chunked")]),
                .body("hello world0123456789"), .end,
            ]
        ),
        (
            "chunked without trailers",
            "POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            [head("POST", "/up", .http1_1, [("Host", "a"), ("Transfer-Encoding", "chunked")]), .body("abc"), .end]
        ),
        (
            "pipelined requests",
            "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
                + "GET /b HTTP/1.1\r\nHost: a\r\n\r\n"
                + "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n",
            [
                head("POST", "/a", .http1_1, [("Host", "a"), ("Content-Length", "3")]), .body("abc"), .end,
                head("GET", "/b", .http1_1, [("Host", "a")]), .end,
                head("POST", "/c", .http1_1, [("Host", "a"), ("Transfer-Encoding", "chunked")]), .body("z"), .end,
            ]
        ),
        (
            "HTTP/1.0 without Host",
            "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            [head("GET", "/", .http1_0, [("Connection", "keep-alive")]), .end]
        ),
        (
            "empty lines before the request line",
            "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
            [head("GET", "/", .http1_1, [("Host", "a")]), .end]
        ),
        (
            "whitespace around values trimmed, empty value kept",
            "GET / HTTP/1.1\r\nHost:\t a \t\r\nX-Empty:\r\nX-Inner: a  b\r\n\r\n",
            [head("GET", "/", .http1_1, [("Host", "a"), ("X-Empty", ""), ("X-Inner", "a  b")]), .end]
        ),
        (
            "IPv6 Host and a UTF-8 value",
            "GET / HTTP/1.1\r\nHost: [::1]:8080\r\nX-Name: caf\u{e9}\r\n\r\n",
            [head("GET", "/", .http1_1, [("Host", "[::1]:8080"), ("X-Name", "caf\u{e9}")]), .end]
        ),
    ]

    @Test("accepted requests, whole and split at every offset", arguments: accepted)
    func acceptedRequest(name: String, input: String, expected: [RequestOutcome]) {
        #expect(parseRequest(input) == expected, "\(name)")
        for pieces in Split.all(Array(input.utf8)) {
            let outcomes = parseRequest(pieces)
            #expect(outcomes == expected, "\(name) split into \(pieces.map(\.count))")
            if outcomes != expected { break }
        }
    }

    static let longTarget = String(repeating: "a", count: 8200)
    static let manyFields = (0...100).map { "X-\($0): v\r\n" }.joined()

    static let refused: [(name: String, input: String, kind: WireError.Kind)] = [
        (
            "Content-Length and Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", .badRequest
        ),
        (
            "two equal Content-Length",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            .badRequest
        ),
        ("Content-Length list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", .badRequest),
        ("Content-Length with sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", .badRequest),
        ("Content-Length negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .badRequest),
        ("Content-Length hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc", .badRequest),
        ("Content-Length empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", .badRequest),
        (
            "Content-Length overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n",
            .badRequest
        ),
        ("Transfer-Encoding gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", .badRequest),
        (
            "Transfer-Encoding chunked not last",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .badRequest
        ),
        (
            "Transfer-Encoding gzip then chunked",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .badRequest
        ),
        (
            "two Transfer-Encoding fields",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            .badRequest
        ),
        (
            "Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .badRequest
        ),
        ("chunk size not hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .badRequest),
        ("chunk size empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", .badRequest),
        ("chunk size with sign", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\n", .badRequest),
        (
            "chunk size overflow",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8000000000000000\r\n",
            .badRequest
        ),
        (
            "chunk size too many digits",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000001\r\n", .badRequest
        ),
        (
            "chunk size followed by junk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n",
            .badRequest
        ),
        (
            "chunk data without CRLF",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY0\r\n\r\n", .badRequest
        ),
        (
            "chunk data followed by bare LF",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", .badRequest
        ),
        (
            "chunk extensions too long",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;x=" + String(repeating: "e", count: 4100)
                + "\r\na\r\n0\r\n\r\n", .badRequest
        ),
        (
            "chunk extensions too long in total",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(repeating: "1;x=" + String(repeating: "e", count: 1000) + "\r\na\r\n", count: 5) + "0\r\n\r\n",
            .badRequest
        ),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", .badRequest),
        ("obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", .badRequest),
        ("first header line starts with space", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", .badRequest),
        ("bare LF after the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", .badRequest),
        ("bare LF after a header", "GET / HTTP/1.1\r\nHost: a\n\r\n", .badRequest),
        ("bare LF ending the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", .badRequest),
        ("bare CR in a header value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", .badRequest),
        ("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("NUL in a header value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{0}c\r\n\r\n", .badRequest),
        ("control character in a header value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{1}c\r\n\r\n", .badRequest),
        ("space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .badRequest),
        ("tab before the colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", .badRequest),
        ("empty header name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", .badRequest),
        ("header name not a token", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", .badRequest),
        ("header line without colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n", .badRequest),
        ("method not a token", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("two spaces in the request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("leading space in the request line", " GET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("trailing space in the request line", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", .badRequest),
        ("tab in the request line", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("four parts", "GET / x HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("one part", "GET\r\nHost: a\r\n\r\n", .badRequest),
        ("malformed version", "GET / HTTP/1.x\r\nHost: a\r\n\r\n", .badRequest),
        ("lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("version with two minor digits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", .badRequest),
        ("request line too long", "GET /" + longTarget + " HTTP/1.1\r\nHost: a\r\n\r\n", .uriTooLong),
        ("request line too long without CRLF", "GET /" + longTarget, .uriTooLong),
        (
            "header section too large",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 33000) + "\r\n\r\n",
            .headerFieldsTooLarge
        ),
        (
            "header section too large without CRLF",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 33000), .headerFieldsTooLarge
        ),
        ("too many header fields", "GET / HTTP/1.1\r\nHost: a\r\n" + manyFields + "\r\n", .headerFieldsTooLarge),
        (
            "too many trailer fields",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + manyFields + manyFields + "\r\n",
            .headerFieldsTooLarge
        ),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .httpVersionNotSupported),
        ("HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", .httpVersionNotSupported),
        ("HTTP/0.9 version", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", .httpVersionNotSupported),
        ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .httpVersionNotSupported),
        ("HTTP/0.9 request", "GET /\r\n", .http09),
        ("HTTP/0.9 request with a path", "GET /index.html\r\n\r\n", .http09),
        ("missing Host on HTTP/1.1", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", .badRequest),
        ("two Host fields", "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", .badRequest),
        ("two Host fields on HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", .badRequest),
        ("empty Host", "GET / HTTP/1.1\r\nHost: \r\n\r\n", .badRequest),
        ("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .badRequest),
        ("Host with a bad port", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", .badRequest),
        ("Host with only a port", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", .badRequest),
        ("Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .badRequest),
        ("Host with an unclosed IP literal", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", .badRequest),
        ("control character in the target", "GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("bare LF empty line before the request", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("CONNECT in authority form", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", .methodNotAllowed),
        ("CONNECT in origin form", "CONNECT /v1/files HTTP/1.1\r\nHost: a\r\n\r\n", .methodNotAllowed),
        ("authority form on GET", "GET a:443 HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("asterisk form", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("absolute form with userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("absolute form without host", "GET http:///v1 HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("absolute form of another scheme", "GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
        ("absolute form with a bad port", "GET http://a:x/ HTTP/1.1\r\nHost: a\r\n\r\n", .badRequest),
    ]

    @Test("refused requests, whole and split at every offset", arguments: refused)
    func refusedRequest(name: String, input: String, kind: WireError.Kind) {
        let whole = parseRequest(input)
        #expect(errorKind(whole) == kind, "\(name): \(whole)")
        // Splitting must not change the outcome; long inputs are checked at a sample of offsets to stay fast.
        let bytes = Array(input.utf8)
        let offsets = bytes.count <= 600 ? Array(0...bytes.count) : Array(stride(from: 0, through: bytes.count, by: 97))
        for offset in offsets {
            let split = parseRequest([Array(bytes[..<offset]), Array(bytes[offset...])])
            #expect(split == whole, "\(name) split at \(offset)")
            if split != whole { break }
        }
        if bytes.count <= 600 {
            #expect(parseRequest(bytes.map { [$0] }) == whole, "\(name) byte by byte")
        }
    }

    static let truncated: [(name: String, input: String)] = [
        ("partial request line", "GET /v1/fi"),
        ("partial request line, CR only", "GET / HTTP/1.1\r"),
        ("partial headers", "GET / HTTP/1.1\r\nHost: a\r\n"),
        ("short Content-Length body", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhello"),
        ("Content-Length body not started", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"),
        ("chunked, inside a chunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
        (
            "chunked, before the chunk CRLF",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello"
        ),
        ("chunked, no last chunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
        ("chunked, in trailers", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n"),
        ("second pipelined request cut", "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHo"),
    ]

    @Test("finish() throws when input ends inside a request", arguments: truncated)
    func truncatedRequest(name: String, input: String) {
        let outcomes = parseRequest(input)
        #expect(errorKind(outcomes) == .badRequest, "\(name): \(outcomes)")
        for pieces in Split.all(Array(input.utf8)) {
            #expect(parseRequest(pieces) == outcomes, "\(name) split into \(pieces.map(\.count))")
        }
    }

    @Test("finish() returns normally between requests, throws on a partial request line")
    func finishBetweenRequests() throws {
        var parser = RequestParser()
        var buffer = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        try parser.finish()
        #expect(try parser.next(&buffer) == .head(RequestHead(method: "GET", target: "/", headers: ["Host": "a"])))
        try parser.finish()
        #expect(try parser.next(&buffer) == .end)
        #expect(try parser.next(&buffer) == nil)
        try parser.finish()
        buffer.writeString("GET")
        #expect(try parser.next(&buffer) == nil)
        #expect(throws: WireError(.badRequest, "The connection closed in the middle of a request line.")) {
            try parser.finish()
        }
    }

    @Test("a Content-Length body is yielded as its bytes arrive, as slices")
    func bodyStreams() throws {
        var parser = RequestParser()
        var buffer = ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\nabc")
        guard case .head(let head) = try parser.next(&buffer) else {
            Issue.record("expected a head")
            return
        }
        #expect(head.framing == .length(1_000_000))
        #expect(try parser.next(&buffer) == .body(ByteBuffer(string: "abc")))
        #expect(try parser.next(&buffer) == nil)
        buffer.writeString(String(repeating: "x", count: 999_997) + "GET")
        #expect(try parser.next(&buffer) == .body(ByteBuffer(string: String(repeating: "x", count: 999_997))))
        #expect(try parser.next(&buffer) == .end)
        #expect(try parser.next(&buffer) == nil)
        #expect(buffer.readableBytes == 3)
    }

    @Test("after an error every call throws it again")
    func errorsAreSticky() throws {
        var parser = RequestParser()
        var buffer = ByteBuffer(string: "GET / HTTP/2.0\r\n\r\n")
        let expected = WireError(.httpVersionNotSupported, "Only HTTP/1.x is supported.")
        #expect(throws: expected) { try parser.next(&buffer) }
        var fresh = ByteBuffer(string: "GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(throws: expected) { try parser.next(&fresh) }
        #expect(throws: expected) { try parser.finish() }
    }

    @Test("limits are configurable")
    func customLimits() {
        let limits = RequestLimits(
            maxRequestLineBytes: 20,
            maxHeaderBytes: 30,
            maxHeaderCount: 2,
            maxChunkExtensionBytes: 4
        )
        #expect(errorKind(parseRequest("GET /0123456789abcdef HTTP/1.1\r\n", limits: limits)) == .uriTooLong)
        #expect(errorKind(parseRequest("GET /0123 HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits)) == nil)
        #expect(
            errorKind(parseRequest("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\n\r\n", limits: limits))
                == .headerFieldsTooLarge
        )
        #expect(
            errorKind(parseRequest("GET / HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789\r\n\r\n", limits: limits))
                == .headerFieldsTooLarge
        )
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let extensions = RequestLimits(maxChunkExtensionBytes: 4)
        #expect(errorKind(parseRequest(chunked + "1;abc\r\nx\r\n0\r\n\r\n", limits: extensions)) == nil)
        #expect(errorKind(parseRequest(chunked + "1;ab\r\nx\r\n0;c\r\n\r\n", limits: extensions)) == .badRequest)
    }

    @Test(
        "each refusal maps to the gateway error that answers it",
        arguments: [
            (WireError.Kind.badRequest, GatewayError.Code?.some(.invalidRequest)),
            (.uriTooLong, .uriTooLong),
            (.headerFieldsTooLarge, .headerFieldsTooLarge),
            (.httpVersionNotSupported, .httpVersionNotSupported),
            (.methodNotAllowed, .methodNotAllowed),
            (.http09, nil),
        ]
    )
    func gatewayErrorMapping(kind: WireError.Kind, code: GatewayError.Code?) {
        let error = WireError(kind, "why")
        #expect(error.gatewayError?.code == code)
        #expect(error.gatewayError.map(\.message) == code.map { _ in "why" })
    }

    @Test("a CONNECT refusal names the methods filegate serves in Allow")
    func connectAllow() {
        #expect(WireError(.methodNotAllowed, "why").gatewayError?.allowedMethods == ["DELETE", "GET", "POST"])
    }

    @Test(
        "an absolute-form target becomes origin form, its authority normalised",
        arguments: [
            ("http://Example.COM/v1/files?limit=2", "/v1/files?limit=2", "example.com:80"),
            ("HTTPS://example.com:8443/v1/files", "/v1/files", "example.com:8443"),
            ("https://example.com", "/", "example.com:443"),
            ("http://127.0.0.1:0080?a=b", "/?a=b", "127.0.0.1:80"),
            ("http://[::1]:8080/x", "/x", "[::1]:8080"),
            ("/v1/files", "/v1/files", nil),
        ]
    )
    func absoluteForm(target: String, origin: String, authority: String?) {
        let outcomes = parseRequest("GET \(target) HTTP/1.1\r\nHost: a\r\n\r\n")
        var expected = RequestHead(method: "GET", target: origin, headers: HTTPHeaders([("Host", "a")]))
        expected.authority = authority
        #expect(outcomes == [.head(expected), .end])
    }

    @Test(
        "the authority of filegate's own URLs, normalised as the parser does",
        arguments: [
            ("http://127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://Gateway.Filegate.TEST:8443/base", "gateway.filegate.test:8443"),
            ("https://filegate.example", "filegate.example:443"),
            ("http://[::1]", "[::1]:80"),
            ("unix:/run/filegate.sock", nil),
        ]
    )
    func ownAuthority(url: String, authority: String?) {
        #expect(RequestTarget.authority(ofURL: url) == authority)
    }

    @Test(
        "a header or trailer value that is not UTF-8 is refused, not read as U+FFFD",
        arguments: [
            [0x63, 0x61, 0x66, 0xE9], [0xC0, 0xAF], [0x61, 0x80, 0x62], [0xED, 0xA0, 0x80], [0x65, 0xE2, 0x82],
        ]
            as [[UInt8]]
    )
    func valueNotUTF8(value: [UInt8]) {
        let refusal = RequestOutcome.error(WireError(.badRequest, "A header value is not valid UTF-8."))
        let inHead = Array("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: ".utf8) + value + Array("\r\n\r\n".utf8)
        #expect(parseRequest([inHead]) == [refusal])
        let inTrailer =
            Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ".utf8) + value
            + Array("\r\n\r\n".utf8)
        #expect(parseRequest([inTrailer]).last == refusal)
    }

    @Test("chunks written by ChunkedEncoding parse back")
    func chunkedRoundTrip() {
        var buffer = ByteBuffer(string: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
        let payload = String(repeating: "0123456789abcdef", count: 300)
        ChunkedEncoding.writeChunk(ByteBuffer(string: String(payload.prefix(17))), into: &buffer)
        ChunkedEncoding.writeChunk(ByteBuffer(), into: &buffer)
        ChunkedEncoding.writeChunk(ByteBuffer(string: String(payload.dropFirst(17))), into: &buffer)
        ChunkedEncoding.writeLastChunk(into: &buffer)
        let outcomes = parseRequest([Array(buffer.readableBytesView)])
        #expect(outcomes.dropFirst() == [.body(payload), .end])
    }
}
