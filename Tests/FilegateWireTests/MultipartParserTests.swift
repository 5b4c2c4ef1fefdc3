import FilegateCore
import FilegateWire
import NIOCore
import Testing

@Suite("MultipartParser")
struct MultipartParserTests {
    static let boundary = "----form7MA4YWxk"

    static func part(_ name: String, _ filename: String? = nil, _ contentType: String? = nil) -> String {
        var text = "Content-Disposition: form-data; name=\"\(name)\""
        if let filename { text += "; filename=\"\(filename)\"" }
        text += "\r\n"
        if let contentType { text += "Content-Type: \(contentType)\r\n" }
        return text + "\r\n"
    }

    static func head(_ name: String, _ filename: String? = nil, _ contentType: String? = nil) -> MultipartOutcome {
        var headers = HTTPHeaders()
        var disposition = "form-data; name=\"\(name)\""
        if let filename { disposition += "; filename=\"\(filename)\"" }
        headers.add(name: "Content-Disposition", value: disposition)
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        return .partHead(MultipartPartHead(name: name, filename: filename, contentType: contentType, headers: headers))
    }

    static let delimiter = "--\(boundary)\r\n"
    static let close = "--\(boundary)--"

    static let accepted: [(name: String, input: String, expected: [MultipartOutcome])] = [
        (
            "purpose then file",
            delimiter + part("purpose") + "batch\r\n" + delimiter + part("file", "x.jsonl", "application/jsonl")
                + "{\"a\":1}\n{\"b\":2}\n\r\n" + close + "\r\n",
            [
                head("purpose"), .partBody("batch"), .partEnd,
                head("file", "x.jsonl", "application/jsonl"), .partBody("{\"a\":1}\n{\"b\":2}\n"), .partEnd, .end,
            ]
        ),
        (
            "file then purpose",
            delimiter + part("file", "y.jsonl") + "line\r\n" + delimiter + part("purpose") + "fine-tune\r\n" + close,
            [
                head("file", "y.jsonl"), .partBody("line"), .partEnd, head("purpose"), .partBody("fine-tune"), .partEnd,
                .end,
            ]
        ),
        (
            "boundary-like bytes inside data",
            delimiter + part("file", "z.bin")
                + "a\r\n--\(boundary.dropLast())\r\n-\r\r\n--\r\n--\(boundary.dropLast())X--\r\n" + close,
            [
                head("file", "z.bin"),
                .partBody("a\r\n--\(boundary.dropLast())\r\n-\r\r\n--\r\n--\(boundary.dropLast())X--"),
                .partEnd, .end,
            ]
        ),
        (
            "CRLFs at the end of data",
            delimiter + part("file", "c.txt") + "line\r\n\r\n\r\n" + close + "\r\n",
            [head("file", "c.txt"), .partBody("line\r\n\r\n"), .partEnd, .end]
        ),
        (
            "preamble and epilogue ignored, empty part",
            "This is a preamble.\r\n\r\n" + delimiter + part("purpose") + "\r\n" + close
                + "\r\nepilogue --\(boundary)\r\n",
            [head("purpose"), .partEnd, .end]
        ),
        (
            "transport padding after delimiters, quoted escapes, extra headers",
            "--\(boundary)  \t\r\nContent-Disposition: form-data;name=\"a\\\"b\"; filename=\"q\\\\.txt\";"
                + " filename*=UTF-8''q.txt\r\nX-Extra: 1\r\n\r\ndata\r\n" + close,
            [
                .partHead(
                    MultipartPartHead(
                        name: "a\"b",
                        filename: "q\\.txt",
                        headers: HTTPHeaders([
                            (
                                "Content-Disposition",
                                "form-data;name=\"a\\\"b\"; filename=\"q\\\\.txt\"; filename*=UTF-8''q.txt"
                            ),
                            ("X-Extra", "1"),
                        ])
                    )
                ),
                .partBody("data"), .partEnd, .end,
            ]
        ),
        ("no parts", close + "\r\n", [.end]),
    ]

    @Test("accepted bodies, whole and split at every offset", arguments: accepted)
    func acceptedBody(name: String, input: String, expected: [MultipartOutcome]) {
        #expect(parseMultipart(input, boundary: Self.boundary) == expected, "\(name)")
        for pieces in Split.all(Array(input.utf8)) {
            let outcomes = parseMultipart(pieces, boundary: Self.boundary)
            #expect(outcomes == expected, "\(name) split into \(pieces.map(\.count))")
            if outcomes != expected { break }
        }
    }

    static let refused: [(name: String, input: String, message: String)] = [
        (
            "truncated inside data", delimiter + part("file", "x") + "abc",
            "Malformed multipart body: the multipart body ended before its closing boundary."
        ),
        (
            "truncated after a delimiter", delimiter + part("purpose") + "batch\r\n--\(boundary)",
            "Malformed multipart body: the multipart body ended before its closing boundary."
        ),
        (
            "truncated in part headers", delimiter + "Content-Disposition: form-data; name=\"a\"\r\n",
            "Malformed multipart body: the multipart body ended before its closing boundary."
        ),
        (
            "no delimiter at all", "just some bytes",
            "Malformed multipart body: the multipart body ended before its closing boundary."
        ),
        ("empty body", "", "Malformed multipart body: the multipart body ended before its closing boundary."),
        (
            "LF-only lines", "--\(boundary)\nContent-Disposition: form-data; name=\"a\"\n\nx\n--\(boundary)--\n",
            "Malformed multipart body: a line ends with a bare LF instead of CRLF."
        ),
        (
            "LF-only header lines", delimiter + "Content-Disposition: form-data; name=\"a\"\n\nx\r\n" + close,
            "Malformed multipart body: a line ends with a bare LF instead of CRLF."
        ),
        (
            "part without a name", delimiter + "Content-Disposition: form-data; filename=\"x\"\r\n\r\nx\r\n" + close,
            "Malformed multipart body: a part has no name."
        ),
        (
            "part without Content-Disposition", delimiter + "Content-Type: text/plain\r\n\r\nx\r\n" + close,
            "Malformed multipart body: a part has no valid Content-Disposition: form-data header."
        ),
        (
            "attachment disposition", delimiter + "Content-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n" + close,
            "Malformed multipart body: a part has no valid Content-Disposition: form-data header."
        ),
        (
            "unterminated quoted string", delimiter + "Content-Disposition: form-data; name=\"a\r\n\r\nx\r\n" + close,
            "Malformed multipart body: a part has no valid Content-Disposition: form-data header."
        ),
        (
            "malformed part header", delimiter + "Content-Disposition : form-data; name=\"a\"\r\n\r\nx\r\n" + close,
            "Malformed multipart body: a part header line is malformed."
        ),
        (
            "bytes after a delimiter", delimiter + part("a") + "x\r\n--\(boundary)X\r\n" + part("b") + "y\r\n" + close,
            "Malformed multipart body: a boundary is followed by unexpected bytes."
        ),
        (
            "single hyphen after a delimiter", delimiter + part("a") + "x\r\n--\(boundary)-x\r\n",
            "Malformed multipart body: a boundary is followed by unexpected bytes."
        ),
        (
            "part headers too large",
            delimiter + "Content-Disposition: form-data; name=\"a\"\r\nX-Big: " + String(repeating: "b", count: 17000)
                + "\r\n\r\nx\r\n" + close,
            "Malformed multipart body: a part's headers are larger than 16384 bytes."
        ),
    ]

    @Test("refused bodies, whole and split at every offset", arguments: refused)
    func refusedBody(name: String, input: String, message: String) {
        let whole = parseMultipart(input, boundary: Self.boundary)
        #expect(whole.last == .error(message), "\(name): \(whole)")
        let bytes = Array(input.utf8)
        let offsets = bytes.count <= 600 ? Array(0...bytes.count) : Array(stride(from: 0, through: bytes.count, by: 89))
        for offset in offsets {
            let split = parseMultipart([Array(bytes[..<offset]), Array(bytes[offset...])], boundary: Self.boundary)
            #expect(split == whole, "\(name) split at \(offset)")
            if split != whole { break }
        }
        if bytes.count <= 600 {
            #expect(parseMultipart(bytes.map { [$0] }, boundary: Self.boundary) == whole, "\(name) byte by byte")
        }
    }

    @Test("a part header value that is not UTF-8 is refused, not read as U+FFFD")
    func partHeaderNotUTF8() {
        let body =
            Array((Self.delimiter + "Content-Disposition: form-data; name=\"file\"; filename=\"caf").utf8) + [0xE9]
            + Array(("\"\r\n\r\nx\r\n" + Self.close).utf8)
        #expect(
            parseMultipart([body], boundary: Self.boundary).last
                == .error("Malformed multipart body: a part header line is malformed.")
        )
    }

    @Test("a part-header limit and a part-count limit")
    func limits() {
        let small = MultipartLimits(maxPartHeaderBytes: 50, maxParts: 2)
        let fits = Self.delimiter + "Content-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n" + Self.close
        #expect(parseMultipart(fits, boundary: Self.boundary, limits: small).last == .end)
        let tooBig = Self.delimiter + "Content-Disposition: form-data; name=\"abcdefgh\"\r\n\r\nx\r\n" + Self.close
        #expect(
            parseMultipart(tooBig, boundary: Self.boundary, limits: small).last
                == .error("Malformed multipart body: a part's headers are larger than 50 bytes.")
        )
        let three =
            Self.delimiter + Self.part("a") + "1\r\n" + Self.delimiter + Self.part("b") + "2\r\n"
            + Self.delimiter + Self.part("c") + "3\r\n" + Self.close
        #expect(
            parseMultipart(three, boundary: Self.boundary, limits: small).last
                == .error("Malformed multipart body: it has more than 2 parts.")
        )
    }

    @Test("data is yielded as soon as it cannot start a delimiter, holding back at most the delimiter")
    func holdsBackOnlyAPossibleDelimiter() throws {
        var parser = MultipartParser(boundary: "xyz")
        var buffer = ByteBuffer(string: "--xyz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n")
        #expect(
            try parser.next(&buffer)
                == .partHead(
                    MultipartPartHead(
                        name: "file",
                        headers: ["Content-Disposition": "form-data; name=\"file\""]
                    )
                )
        )
        buffer.writeString(String(repeating: "d", count: 1000))
        #expect(try parser.next(&buffer) == .partBody(ByteBuffer(string: String(repeating: "d", count: 1000))))
        #expect(try parser.next(&buffer) == nil)
        buffer.writeString("abc\r\n--xy")
        #expect(try parser.next(&buffer) == .partBody(ByteBuffer(string: "abc")))
        #expect(try parser.next(&buffer) == nil)
        #expect(buffer.readableBytes == 6)
        buffer.writeString("q")
        #expect(try parser.next(&buffer) == .partBody(ByteBuffer(string: "\r\n--xyq")))
        buffer.writeString("\r\n--xyz--")
        #expect(try parser.next(&buffer) == .partEnd)
        #expect(try parser.next(&buffer) == .end)
        #expect(try parser.next(&buffer) == nil)
        try parser.finish()
    }

    @Test(
        "boundary from Content-Type",
        arguments: [
            ("multipart/form-data; boundary=abc", "abc"),
            ("Multipart/Form-Data;boundary=\"a b:c\"", "a b:c"),
            (
                "multipart/form-data; charset=utf-8; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW",
                "----WebKitFormBoundary7MA4YWxkTrZu0gW"
            ),
            ("multipart/form-data; BOUNDARY=x; other=1", "x"),
        ]
    )
    func boundary(contentType: String, expected: String) throws {
        #expect(try MultipartParser.boundary(fromContentType: contentType) == expected)
    }

    @Test(
        "Content-Types without a usable boundary",
        arguments: [
            String?.none, "", "application/json", "multipart/mixed; boundary=abc", "multipart/form-data",
            "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
            "multipart/form-data; boundary=\"" + String(repeating: "a", count: 71) + "\"",
            "multipart/form-data; boundary=\"ends with space \"", "multipart/form-data; boundary=\"a\"b",
            "multipart/form-data; boundary=\"bad\u{7}\"",
        ]
    )
    func badBoundary(contentType: String?) {
        #expect(throws: GatewayError(.invalidRequest, "The Content-Type must be multipart/form-data with a boundary."))
        {
            try MultipartParser.boundary(fromContentType: contentType)
        }
    }
}
