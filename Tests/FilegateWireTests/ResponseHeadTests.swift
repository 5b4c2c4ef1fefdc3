import FilegateWire
import NIOCore
import Testing

@Suite("ResponseHead and ChunkedEncoding")
struct ResponseHeadTests {
    @Test("serializes the status line, headers in order, and the empty line")
    func serialization() {
        let head = ResponseHead(
            status: 201,
            headers: HTTPHeaders([("Content-Type", "application/json"), ("Location", "/v1/files/f"), ("x-a", "1")])
        )
        var buffer = ByteBuffer()
        head.write(into: &buffer)
        #expect(
            String(buffer: buffer)
                == "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nLocation: /v1/files/f\r\nx-a: 1\r\n\r\n"
        )
    }

    @Test("an unknown status still writes a valid status line")
    func unknownStatus() {
        var buffer = ByteBuffer()
        ResponseHead(status: 299).write(into: &buffer)
        #expect(String(buffer: buffer) == "HTTP/1.1 299 \r\n\r\n")
    }

    @Test(
        "reason phrases",
        arguments: [
            (100, "Continue"), (200, "OK"), (201, "Created"), (204, "No Content"), (400, "Bad Request"),
            (401, "Unauthorized"), (403, "Forbidden"), (404, "Not Found"), (405, "Method Not Allowed"),
            (408, "Request Timeout"), (413, "Content Too Large"), (414, "URI Too Long"), (429, "Too Many Requests"),
            (431, "Request Header Fields Too Large"), (500, "Internal Server Error"), (501, "Not Implemented"),
            (502, "Bad Gateway"), (503, "Service Unavailable"), (504, "Gateway Timeout"),
            (505, "HTTP Version Not Supported"),
        ]
    )
    func reasonPhrase(status: Int, phrase: String) {
        #expect(ResponseHead.reasonPhrase(for: status) == phrase)
    }

    @Test("chunks are framed in hex and an empty chunk writes nothing")
    func chunks() {
        var buffer = ByteBuffer()
        ChunkedEncoding.writeChunk(ByteBuffer(string: "hello"), into: &buffer)
        ChunkedEncoding.writeChunk(ByteBuffer(), into: &buffer)
        ChunkedEncoding.writeChunk(ByteBuffer(string: String(repeating: "x", count: 26)), into: &buffer)
        ChunkedEncoding.writeLastChunk(into: &buffer)
        #expect(String(buffer: buffer) == "5\r\nhello\r\n1a\r\n" + String(repeating: "x", count: 26) + "\r\n0\r\n\r\n")
    }
}
