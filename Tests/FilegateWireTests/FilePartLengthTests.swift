import FilegateWire
import Testing

@Suite("FilePartLength")
struct FilePartLengthTests {
    /// A body laid out as curl 7.88 writes one: 24 dashes and 16 hex digits as the boundary, a part's content type
    /// after its disposition, `--B--\r\n` at the end.
    static func curlBody(fields: [(String, String)], filename: String, file: [UInt8]) -> (String, [UInt8]) {
        let boundary = "------------------------b21072c90d579708"
        var text = ""
        for (name, value) in fields {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
        text += "Content-Type: application/octet-stream\r\n\r\n"
        return (boundary, Array(text.utf8) + file + Array("\r\n--\(boundary)--\r\n".utf8))
    }

    /// A body laid out as httpx writes one: 32 hex digits as the boundary, the same close.
    static func httpxBody(fields: [(String, String)], filename: String, file: [UInt8]) -> (String, [UInt8]) {
        let boundary = "5ea217e2afdfd9bb89faf44ab9638249"
        var text = ""
        for (name, value) in fields {
            text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\n"
        text += "Content-Type: application/jsonl\r\n\r\n"
        return (boundary, Array(text.utf8) + file + Array("\r\n--\(boundary)--\r\n".utf8))
    }

    static let bodies: [(label: String, boundary: String, body: [UInt8], fileLength: Int64)] = {
        let files: [[UInt8]] = [
            [], Array("x".utf8), Array("{\"a\":1}\r\n--\r\n".utf8), Array(0...255),
            Array("\r\n------------------------b21072c90d57970\r\n--5ea217e2afdfd9bb89faf44ab963824--".utf8),
        ]
        var rows: [(String, String, [UInt8], Int64)] = []
        for (index, file) in files.enumerated() {
            let (curlBoundary, curl) = curlBody(fields: [("purpose", "batch")], filename: "f\(index).jsonl", file: file)
            rows.append(("curl, file \(index)", curlBoundary, curl, Int64(file.count)))
            let (httpxBoundary, httpx) = httpxBody(
                fields: [
                    ("purpose", "batch"), ("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "3600"),
                ],
                filename: "f\(index).jsonl",
                file: file
            )
            rows.append(("httpx, file \(index)", httpxBoundary, httpx, Int64(file.count)))
        }
        let (boundary, fileOnly) = curlBody(fields: [], filename: "only.bin", file: Array("only".utf8))
        rows.append(("curl, the file part alone", boundary, fileOnly, 4))
        let (preambleBoundary, afterPreamble) = httpxBody(fields: [], filename: "p.jsonl", file: Array("p".utf8))
        rows.append(
            ("a preamble before the first part", preambleBoundary, Array("preamble\r\n".utf8) + afterPreamble, 1)
        )
        return rows
    }()

    @Test(arguments: bodies)
    func predictsTheFileLengthOfBodiesAsClientsWriteThem(
        label: String,
        boundary: String,
        body: [UInt8],
        fileLength: Int64
    )
        throws
    {
        let parsed = parseForm([body], boundary: boundary)
        #expect(parsed.error == nil, "\(label)")
        #expect(Int64(parsed.parts.last?.data.count ?? -1) == fileLength, "\(label)")
        let before = try #require(parsed.bytesBeforeFileData)
        let predicted = FilePartLength.predict(
            declaredLength: Int64(body.count),
            bytesBeforeFileData: before,
            boundary: boundary
        )
        #expect(predicted == fileLength, "\(label)")
    }

    @Test(arguments: ["curl-create.http", "openai-sdk-create.http"])
    func predictsTheFileLengthOfCapturedRequests(fixture: String) throws {
        let (head, body) = try CapturedRequest.load(fixture)
        let boundary = try MultipartParser.boundary(fromContentType: head.headers.first(name: "Content-Type"))
        let declared = try #require(head.headers.first(name: "Content-Length").flatMap { Int64($0) })
        #expect(declared == Int64(body.count))
        let parsed = parseForm([body], boundary: boundary)
        #expect(parsed.error == nil)
        let file = try CapturedRequest.fileBytes()
        #expect(parsed.parts.last?.name == "file")
        #expect(parsed.parts.last?.data == file)
        let before = try #require(parsed.bytesBeforeFileData)
        #expect(
            FilePartLength.predict(declaredLength: declared, bytesBeforeFileData: before, boundary: boundary)
                == Int64(file.count)
        )
    }

    /// Declared length, bytes before the file data, boundary, and the prediction.
    static let edges: [(declared: Int64, before: Int64, boundary: String, expected: Int64?)] = [
        (100, 91, "B", 0),  // exactly the close delimiter is left: an empty file
        (100, 92, "B", nil),  // less than the close delimiter is left
        (100, 100, "B", nil),
        (100, 200, "B", nil),
        (-1, 0, "B", nil),
        (100, -1, "B", nil),
        (Int64.max, 0, "B", Int64.max - 9),
        (1_000_149, 100, String(repeating: "b", count: 41), 1_000_000),
    ]

    @Test(arguments: edges)
    func predictionsAtTheEdges(declared: Int64, before: Int64, boundary: String, expected: Int64?) {
        #expect(
            FilePartLength.predict(declaredLength: declared, bytesBeforeFileData: before, boundary: boundary)
                == expected
        )
    }

    /// RFC 2046 lets a body end without the final CRLF; the prediction, made for the usual close, is then 2 bytes
    /// short, which the caller's check of the real length catches.
    @Test func aCloseWithoutCRLFIsPredictedTwoBytesShort() throws {
        let (boundary, body) = Self.curlBody(
            fields: [("purpose", "batch")],
            filename: "n.txt",
            file: Array("12345".utf8)
        )
        let shortened = Array(body.dropLast(2))
        let parsed = parseForm([shortened], boundary: boundary)
        #expect(parsed.error == nil)
        #expect(parsed.parts.last?.data == Array("12345".utf8))
        let before = try #require(parsed.bytesBeforeFileData)
        #expect(
            FilePartLength.predict(
                declaredLength: Int64(shortened.count),
                bytesBeforeFileData: before,
                boundary: boundary
            )
                == 3
        )
    }
}
