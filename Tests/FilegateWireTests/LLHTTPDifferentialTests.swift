import FilegateWire
import FuzzHarness
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

/// `RequestParser` against NIO's llhttp decoder (`HTTPRequestDecoder`): whatever llhttp refuses, filegate refuses
/// too (issue 5), except the requests listed in `deliberatelyAccepted` with the reason RFC 9112 gives.
@Suite("RequestParser against llhttp")
struct LLHTTPDifferentialTests {
    /// What filegate's parser must do with a request of the table.
    enum Verdict: Sendable {
        /// Both parsers read it (the row also checks that the llhttp harness can accept at all).
        case accept
        case refuse
    }

    /// One request of the table, shown by its name in test results.
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var request: String
        var verdict: Verdict

        var testDescription: String { name }

        init(_ name: String, _ request: String, _ verdict: Verdict) {
            self.name = name
            self.request = request
            self.verdict = verdict
        }
    }

    static let host = "Host: a\r\n"

    /// Request heads and bodies, valid and malformed: the smuggling classics and every framing rule of issue 5.
    static let table: [Row] = [
        Row("GET", "GET /v1/files HTTP/1.1\r\n\(host)\r\n", .accept),
        Row("POST with Content-Length", "POST /v1/files HTTP/1.1\r\n\(host)Content-Length: 3\r\n\r\nabc", .accept),
        Row("chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", .accept),
        Row(
            "chunked with extensions and trailers",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3;a=b;c=\"d\"\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
            .accept
        ),
        Row(
            "chunk size in capitals",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
            .accept
        ),
        Row(
            "chunk size with leading zeros",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n003\r\nabc\r\n0\r\n\r\n",
            .accept
        ),
        Row(
            "Transfer-Encoding in capitals",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n",
            .accept
        ),
        Row("pipelined", "GET /a HTTP/1.1\r\n\(host)\r\nGET /b HTTP/1.1\r\n\(host)\r\n", .accept),
        Row("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", .accept),
        Row("tab inside a value", "GET / HTTP/1.1\r\n\(host)X-A: a\tb\r\n\r\n", .accept),
        Row("empty value", "GET / HTTP/1.1\r\n\(host)X-A:\r\n\r\n", .accept),
        Row("whitespace around a value", "GET / HTTP/1.1\r\n\(host)X-A: \t a \t\r\n\r\n", .accept),
        Row("empty line before the request line", "\r\nGET / HTTP/1.1\r\n\(host)\r\n", .accept),
        Row("absolute-form target", "GET http://a/v1/files HTTP/1.1\r\n\(host)\r\n", .accept),
        // filegate serves no server-wide OPTIONS: the asterisk form is a 400 (issue 5, request-target forms).
        Row("asterisk-form", "OPTIONS * HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row(
            "Expect 100-continue",
            "POST / HTTP/1.1\r\n\(host)Expect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
            .accept
        ),
        Row("percent-encoded path", "GET /v1/files/file%2Dabc HTTP/1.1\r\n\(host)\r\n", .accept),
        Row("UTF-8 in a value (obs-text)", "GET / HTTP/1.1\r\n\(host)X-A: café\r\n\r\n", .accept),
        Row("Content-Length 0", "POST / HTTP/1.1\r\n\(host)Content-Length: 0\r\n\r\n", .accept),
        Row("IPv6 Host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", .accept),
        Row(
            "Content-Length then Transfer-Encoding",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "Transfer-Encoding then Content-Length",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "two different Content-Lengths",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            .refuse
        ),
        Row(
            "two equal Content-Lengths",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            .refuse
        ),
        Row("Content-Length list", "POST / HTTP/1.1\r\n\(host)Content-Length: 3, 3\r\n\r\nabc", .refuse),
        Row("negative Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: -1\r\n\r\n", .refuse),
        Row("Content-Length with a sign", "POST / HTTP/1.1\r\n\(host)Content-Length: +3\r\n\r\nabc", .refuse),
        Row("hexadecimal Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: 0x3\r\n\r\nabc", .refuse),
        Row("Content-Length with inner space", "POST / HTTP/1.1\r\n\(host)Content-Length: 1 2\r\n\r\n", .refuse),
        Row(
            "overflowing Content-Length",
            "POST / HTTP/1.1\r\n\(host)Content-Length: 99999999999999999999999\r\n\r\n",
            .refuse
        ),
        Row("empty Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length:\r\n\r\n", .refuse),
        Row("gzip, chunked", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", .refuse),
        Row("chunked not last", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", .refuse),
        Row("identity coding", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: identity\r\n\r\n", .refuse),
        Row("Transfer-Encoding on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .refuse),
        Row("chunkedx", "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n", .refuse),
        Row(
            "two Transfer-Encoding lines",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            .refuse
        ),
        Row("obs-fold", "GET / HTTP/1.1\r\n\(host)X-A: a\r\n b\r\n\r\n", .refuse),
        Row(
            "obs-fold on Transfer-Encoding",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
            .refuse
        ),
        Row("whitespace before the first field", "GET / HTTP/1.1\r\n \(host)\r\n", .refuse),
        Row("space before the colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .refuse),
        Row("tab before the colon", "POST / HTTP/1.1\r\n\(host)Content-Length\t: 1\r\n\r\nx", .refuse),
        Row("empty field name", "GET / HTTP/1.1\r\n\(host): a\r\n\r\n", .refuse),
        Row("field without a colon", "GET / HTTP/1.1\r\n\(host)X-A a\r\n\r\n", .refuse),
        Row("field name not a token", "GET / HTTP/1.1\r\n\(host)X@A: 1\r\n\r\n", .refuse),
        Row("NUL in a value", "GET / HTTP/1.1\r\n\(host)X-A: a\u{0}b\r\n\r\n", .refuse),
        Row("NUL in the target", "GET /a\u{0}b HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row("NUL in the method", "GE\u{0}T / HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row("DEL in a value", "GET / HTTP/1.1\r\n\(host)X-A: a\u{7F}b\r\n\r\n", .refuse),
        Row("control byte in the target", "GET /a\u{1}b HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row("bare CR in a value", "GET / HTTP/1.1\r\n\(host)X-A: a\rb\r\n\r\n", .refuse),
        Row("bare LF line endings", "GET / HTTP/1.1\n\(host.dropLast(2))\n\n", .refuse),
        Row("bare LF in the header section", "GET / HTTP/1.1\r\n\(host)X-A: 1\n\r\n", .refuse),
        Row("bare CR line endings", "GET / HTTP/1.1\r\(host.dropLast(2))\r\r", .refuse),
        Row(
            "chunk size not hexadecimal",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\ng\r\nabc\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "empty chunk size",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "overflowing chunk size",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n",
            .refuse
        ),
        Row(
            "negative chunk size",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "chunk size with a sign",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "chunk longer than declared",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "chunk without its CRLF",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\r\nabc0\r\n\r\n",
            .refuse
        ),
        Row(
            "chunk size ended by a bare LF",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "control byte in a chunk extension",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3;a=\u{1}\r\nabc\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "chunk extensions over 4 KiB",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n3;a=\(String(repeating: "b", count: 4100))\r\n"
                + "abc\r\n0\r\n\r\n",
            .refuse
        ),
        Row(
            "obs-fold in a trailer",
            "POST / HTTP/1.1\r\n\(host)Transfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n 2\r\n\r\n",
            .refuse
        ),
        Row("HTTP/2.0 request line", "GET / HTTP/2.0\r\n\(host)\r\n", .refuse),
        Row("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", .refuse),
        Row("HTTP/0.9", "GET /\r\n", .refuse),
        Row("lowercase version", "GET / http/1.1\r\n\(host)\r\n", .refuse),
        Row("version with two digits", "GET / HTTP/1.10\r\n\(host)\r\n", .refuse),
        Row("version with three parts", "GET / HTTP/1.1.1\r\n\(host)\r\n", .refuse),
        Row("two spaces after the method", "GET  / HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row("space at the end of the request line", "GET / HTTP/1.1 \r\n\(host)\r\n", .refuse),
        Row("tab after the method", "GET\t/ HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row("space in the target", "GET /a b HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row("method not a token", "G(T / HTTP/1.1\r\n\(host)\r\n", .refuse),
        Row("no Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", .refuse),
        Row("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .refuse),
        Row("Host with a path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", .refuse),
        Row("Host with a bad port", "GET / HTTP/1.1\r\nHost: a:8o\r\n\r\n", .refuse),
        Row("body shorter than Content-Length", "POST / HTTP/1.1\r\n\(host)Content-Length: 5\r\n\r\nabc", .refuse),
        Row("garbage after a body", "POST / HTTP/1.1\r\n\(host)Content-Length: 3\r\n\r\nabcXYZ\r\n\r\n", .refuse),
        Row("cut in the headers", "GET / HTTP/1.1\r\n\(host)X-A: 1\r\n", .refuse),
    ]

    /// Requests llhttp refuses that filegate accepts on purpose, by table name, with the reason.
    static let deliberatelyAccepted: [String: String] = [:]

    @Test(arguments: table)
    func tableRow(_ row: Row) {
        let (name, request) = (row.name, Array(row.request.utf8))
        let ours = RequestTrace.parse(request)
        let llhttpRefuses = Self.llhttpRefuses(request)
        switch row.verdict {
        case .accept:
            #expect(ours.error == nil, "filegate refused \(name): \(ours)")
            #expect(!llhttpRefuses, "llhttp refused \(name), so the harness cannot tell acceptance")
        case .refuse:
            #expect(ours.isRefused, "filegate accepted \(name): \(ours)")
        }
        if let reason = Self.deliberatelyAccepted[name] {
            #expect(llhttpRefuses && !ours.isRefused, "the exception '\(reason)' no longer applies to \(name)")
        } else if llhttpRefuses {
            #expect(ours.isRefused, "llhttp refuses \(name), filegate read: \(ours)")
        }
    }

    /// The comparison means something only if the harness sees llhttp refuse: these are refused by every llhttp.
    @Test(arguments: ["Content-Length then Transfer-Encoding", "NUL in a value", "chunk size not hexadecimal"])
    func llhttpRefusesClassics(_ name: String) throws {
        let row = try #require(Self.table.first { $0.name == name })
        #expect(Self.llhttpRefuses(Array(row.request.utf8)))
    }

    static let corpus = FuzzInput.all(module: .wire, besideTestFile: #filePath).filter {
        $0.target.httpRequest($0.bytes) != nil
    }

    @Test(arguments: corpus)
    func corpusInput(_ input: FuzzInput) throws {
        let request = try #require(input.target.httpRequest(input.bytes))
        if Self.llhttpRefuses(request) {
            let ours = RequestTrace.parse(request)
            #expect(ours.isRefused, "llhttp refuses \(input), filegate read: \(ours)")
        }
    }

    /// Whether llhttp, as NIO's `HTTPRequestDecoder` in a channel, refuses `bytes` followed by the end of input.
    static func llhttpRefuses(_ bytes: [UInt8]) -> Bool {
        let decoder = HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(decoder))
        do {
            try channel.writeInbound(ByteBuffer(bytes: bytes))
            _ = try channel.finish()
            return false
        } catch {
            return true
        }
    }
}
