import FilegateWire
import Testing

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test("lookup ignores case and keeps order and names as sent")
    func lookup() {
        let headers = HTTPHeaders([("Content-Type", "a"), ("x-request-id", "1"), ("CONTENT-TYPE", "b")])
        #expect(headers["content-type"] == ["a", "b"])
        #expect(headers.first(name: "Content-type") == "a")
        #expect(headers.first(name: "Missing") == nil)
        #expect(headers.contains(name: "X-REQUEST-ID"))
        #expect(!headers.contains(name: "x-request"))
        #expect(headers.count(name: "content-TYPE") == 2)
        #expect(headers.count(name: "x-request") == 0)
        #expect(headers.count == 3)
        #expect(headers.map(\.name) == ["Content-Type", "x-request-id", "CONTENT-TYPE"])
    }

    @Test("add, replaceOrAdd and remove")
    func editing() {
        var headers = HTTPHeaders()
        headers.add(name: "A", value: "1")
        headers.add(name: "b", value: "2")
        headers.add(name: "a", value: "3")
        headers.replaceOrAdd(name: "A", value: "4")
        #expect(headers.map { "\($0.name)=\($0.value)" } == ["A=4", "b=2"])
        headers.replaceOrAdd(name: "C", value: "5")
        #expect(headers.map { "\($0.name)=\($0.value)" } == ["A=4", "b=2", "C=5"])
        headers.remove(name: "B")
        #expect(headers.map { "\($0.name)=\($0.value)" } == ["A=4", "C=5"])
        #expect(headers == ["A": "4", "C": "5"])
    }
}

@Suite("RequestHead")
struct RequestHeadTests {
    @Test(
        "path and query",
        arguments: [
            ("/v1/files", "/v1/files", String?.none),
            ("/openai/files?api-version=2024-10-21", "/openai/files", "api-version=2024-10-21"),
            ("/v1/files?", "/v1/files", ""),
            ("/a?b?c", "/a", "b?c"),
        ]
    )
    func pathAndQuery(target: String, path: String, query: String?) {
        let head = RequestHead(method: "GET", target: target)
        #expect(head.path == path)
        #expect(head.query == query)
    }

    @Test(
        "keep-alive",
        arguments: [
            (HTTPVersion.http1_1, [(String, String)](), true),
            (.http1_1, [("Connection", "close")], false),
            (.http1_1, [("connection", "Keep-Alive, CLOSE")], false),
            (.http1_1, [("Connection", "keep-alive")], true),
            (.http1_0, [], false),
            (.http1_0, [("Connection", "keep-alive")], true),
            (.http1_0, [("Connection", " Keep-Alive ")], true),
            (.http1_0, [("Connection", "close")], false),
        ]
    )
    func keepAlive(version: HTTPVersion, headers: [(String, String)], expected: Bool) {
        #expect(
            RequestHead(method: "GET", target: "/", version: version, headers: HTTPHeaders(headers)).keepAlive
                == expected
        )
    }

    @Test(
        "expects 100-continue",
        arguments: [
            ([(String, String)](), false), ([("Expect", "100-continue")], true),
            ([("expect", "100-Continue")], true), ([("Expect", "")], false),
        ]
    )
    func expectsContinue(headers: [(String, String)], expected: Bool) {
        #expect(RequestHead(method: "POST", target: "/", headers: HTTPHeaders(headers)).expectsContinue == expected)
    }

    @Test(
        "framing",
        arguments: [
            ([(String, String)](), BodyFraming.none),
            ([("Content-Length", "42")], .length(42)),
            ([("Content-Length", "0")], .length(0)),
            ([("Transfer-Encoding", "chunked")], .chunked),
        ]
    )
    func framing(headers: [(String, String)], expected: BodyFraming) {
        #expect(RequestHead(method: "POST", target: "/", headers: HTTPHeaders(headers)).framing == expected)
    }
}
