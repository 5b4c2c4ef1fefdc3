import FilegateCore
import FilegateWire
import Foundation
import NIOCore
import Testing

/// One part as `MultipartParser` reads it back, data merged.
struct ParsedPart: Hashable, CustomStringConvertible {
    var name: String
    var filename: String?
    var contentType: String?
    var data: [UInt8]

    var description: String {
        "\(name)|\(filename ?? "-")|\(contentType ?? "-")|\(String(decoding: data, as: UTF8.self).debugDescription)"
    }
}

/// What parsing a whole body gave: its parts, then whether it ended with the close delimiter, or the error.
struct ParsedForm: Hashable {
    var parts: [ParsedPart] = []
    var error: String?
    /// Body bytes read when the `file` part's head was returned: the bytes before its data.
    var bytesBeforeFileData: Int64?
}

/// Parses `pieces` with FilegateWire's own parser, recording where the file part's data starts.
func parseForm(_ pieces: [[UInt8]], boundary: String) -> ParsedForm {
    var parser = MultipartParser(boundary: boundary)
    var buffer = ByteBuffer()
    var form = ParsedForm()
    var consumed: Int64 = 0
    do throws(GatewayError) {
        for piece in pieces {
            buffer.writeBytes(piece)
            while true {
                let before = buffer.readableBytes
                let event = try parser.next(&buffer)
                consumed += Int64(before - buffer.readableBytes)
                guard let event else { break }
                switch event {
                case .partHead(let head):
                    if head.name == "file", form.bytesBeforeFileData == nil { form.bytesBeforeFileData = consumed }
                    form.parts.append(
                        ParsedPart(name: head.name, filename: head.filename, contentType: head.contentType, data: [])
                    )
                case .partBody(let chunk):
                    form.parts[form.parts.count - 1].data += Array(chunk.readableBytesView)
                case .partEnd, .end:
                    break
                }
            }
            buffer.discardReadBytes()
        }
        try parser.finish()
    } catch {
        form.error = error.message
    }
    return form
}

/// A deterministic generator (SplitMix64), so a boundary made from it can be compared with a literal.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// The captured requests in Fixtures/, split into head and body.
enum CapturedRequest {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures"
    )

    static func load(_ name: String) throws -> (head: RequestHead, body: [UInt8]) {
        let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
        var parser = RequestParser()
        var buffer = ByteBuffer(bytes: bytes)
        var head: RequestHead?
        var body: [UInt8] = []
        while let event = try parser.next(&buffer) {
            switch event {
            case .head(let parsed): head = parsed
            case .body(let chunk): body += Array(chunk.readableBytesView)
            case .end: break
            }
        }
        try parser.finish()
        return (try #require(head), body)
    }

    /// The file the fixtures carry, as sent.
    static func fileBytes() throws -> [UInt8] {
        try [UInt8](Data(contentsOf: directory.appendingPathComponent("data.jsonl")))
    }
}

@Suite("MultipartWriter")
struct MultipartWriterTests {
    static let boundary = "filegate-0123456789abcdef0123456789abcdef"

    @Test func randomBoundaryIsFilegateAnd32HexDigits() throws {
        var generator = SplitMix64(state: 7)
        let first = MultipartWriter.randomBoundary(using: &generator)
        let second = MultipartWriter.randomBoundary(using: &generator)
        var replay = SplitMix64(state: 7)
        let expected =
            "filegate-"
            + [replay.next(), replay.next()].map { value in
                let digits = String(value, radix: 16)
                return String(repeating: "0", count: 16 - digits.count) + digits
            }.joined()
        #expect(first == expected)
        #expect(first != second)
        #expect(first.utf8.count == 41)
        let writer = MultipartWriter(boundary: first)
        #expect(try MultipartParser.boundary(fromContentType: writer.contentType) == first)
    }

    @Test func leadingZerosAreKept() {
        struct Zeros: RandomNumberGenerator {
            mutating func next() -> UInt64 { 0x0F }
        }
        var generator = Zeros()
        #expect(
            MultipartWriter.randomBoundary(using: &generator)
                == "filegate-000000000000000f000000000000000f"
        )
    }

    @Test func contentTypeNamesTheBoundary() {
        #expect(MultipartWriter(boundary: "B").contentType == "multipart/form-data; boundary=B")
    }

    @Test func suffixIsTheCloseDelimiterAndCRLF() {
        #expect(String(buffer: MultipartWriter(boundary: "B").suffix()) == "\r\n--B--\r\n")
    }

    @Test func prefixWritesFieldsThenTheFileHead() {
        let writer = MultipartWriter(boundary: "B")
        let prefix = writer.prefix(
            fields: [
                ("purpose", "batch"), ("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "3600"),
            ],
            filename: "x.jsonl",
            fileContentType: nil
        )
        #expect(
            String(buffer: prefix)
                == "--B\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--B\r\nContent-Disposition: form-data; name=\"expires_after[anchor]\"\r\n\r\ncreated_at\r\n"
                + "--B\r\nContent-Disposition: form-data; name=\"expires_after[seconds]\"\r\n\r\n3600\r\n"
                + "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jsonl\"\r\n"
                + "Content-Type: application/octet-stream\r\n\r\n"
        )
    }

    /// Fields, filename, file content type and file bytes, and the parts the parser must read back.
    static let roundTrips:
        [(
            label: String, fields: [(name: String, value: String)], filename: String,
            contentType: String?, file: [UInt8], expected: [ParsedPart]
        )] = [
            (
                "SDK order with expiry",
                [
                    ("purpose", "batch"), ("expires_after[anchor]", "created_at"),
                    ("expires_after[seconds]", "86400"),
                ],
                "batch.jsonl", "application/jsonl", Array("{\"a\":1}\n".utf8),
                [
                    ParsedPart(name: "purpose", data: Array("batch".utf8)),
                    ParsedPart(name: "expires_after[anchor]", data: Array("created_at".utf8)),
                    ParsedPart(name: "expires_after[seconds]", data: Array("86400".utf8)),
                    ParsedPart(
                        name: "file",
                        filename: "batch.jsonl",
                        contentType: "application/jsonl",
                        data: Array("{\"a\":1}\n".utf8)
                    ),
                ]
            ),
            (
                "quotes and backslashes in the filename", [("purpose", "fine-tune")], #"q"u\o\"te\\.txt"#, nil,
                Array("x".utf8),
                [
                    ParsedPart(name: "purpose", data: Array("fine-tune".utf8)),
                    ParsedPart(
                        name: "file",
                        filename: #"q"u\o\"te\\.txt"#,
                        contentType: "application/octet-stream",
                        data: Array("x".utf8)
                    ),
                ]
            ),
            (
                "CR, LF and NUL in the filename become %XX", [], "a\r\nContent-Type: text/html\r\n\r\nb\u{0}.txt", nil,
                [],
                [
                    ParsedPart(
                        name: "file",
                        filename: "a%0D%0AContent-Type: text/html%0D%0A%0D%0Ab%00.txt",
                        contentType: "application/octet-stream",
                        data: []
                    )
                ]
            ),
            (
                "UTF-8 filename, tab kept", [], "résumé\t📄.pdf", "application/pdf", [0x25, 0x50, 0x44, 0x46],
                [
                    ParsedPart(
                        name: "file",
                        filename: "résumé\t📄.pdf",
                        contentType: "application/pdf",
                        data: [0x25, 0x50, 0x44, 0x46]
                    )
                ]
            ),
            (
                "empty filename and empty field value", [("purpose", "")], "", nil, Array("data".utf8),
                [
                    ParsedPart(name: "purpose", data: []),
                    ParsedPart(
                        name: "file",
                        filename: "",
                        contentType: "application/octet-stream",
                        data: Array("data".utf8)
                    ),
                ]
            ),
            (
                "a content type with CRLF falls back to the default", [], "f.bin", "text/plain\r\nX-Evil: 1",
                [1, 2, 3],
                [ParsedPart(name: "file", filename: "f.bin", contentType: "application/octet-stream", data: [1, 2, 3])]
            ),
            (
                "values with CRLF and boundary-like lines", [("note", "line\r\n--\(boundary.dropLast())\r\n\r\n--")],
                "b.txt", "text/plain",
                Array("\r\n--\(boundary.dropLast())--\r\n\r\nx--\(boundary)X".utf8),
                [
                    ParsedPart(name: "note", data: Array("line\r\n--\(boundary.dropLast())\r\n\r\n--".utf8)),
                    ParsedPart(
                        name: "file",
                        filename: "b.txt",
                        contentType: "text/plain",
                        data: Array("\r\n--\(boundary.dropLast())--\r\n\r\nx--\(boundary)X".utf8)
                    ),
                ]
            ),
            (
                "a quote in a field name", [("na\"me", "v")], "n.txt", nil, Array(0...255),
                [
                    ParsedPart(name: "na\"me", data: Array("v".utf8)),
                    ParsedPart(
                        name: "file",
                        filename: "n.txt",
                        contentType: "application/octet-stream",
                        data: Array(0...255)
                    ),
                ]
            ),
        ]

    @Test(arguments: roundTrips)
    func writtenBodyParsesBack(
        label: String,
        fields: [(name: String, value: String)],
        filename: String,
        contentType: String?,
        file: [UInt8],
        expected: [ParsedPart]
    ) {
        let writer = MultipartWriter(boundary: Self.boundary)
        let prefix = Array(
            writer.prefix(fields: fields, filename: filename, fileContentType: contentType).readableBytesView
        )
        let body = prefix + file + Array(writer.suffix().readableBytesView)
        let parsed = parseForm([body], boundary: Self.boundary)
        #expect(parsed == ParsedForm(parts: expected, bytesBeforeFileData: Int64(prefix.count)), "\(label)")
        let oneByteAtATime = parseForm(body.map { [$0] }, boundary: Self.boundary)
        #expect(oneByteAtATime == parsed, "\(label)")
        let length = writer.contentLength(
            fields: fields,
            filename: filename,
            fileContentType: contentType,
            fileLength: Int64(file.count)
        )
        #expect(length == Int64(body.count), "\(label)")
        #expect(
            FilePartLength.predict(
                declaredLength: length,
                bytesBeforeFileData: Int64(prefix.count),
                boundary: Self.boundary
            ) == Int64(file.count),
            "\(label)"
        )
    }

    /// Boundary, fields, filename, content type, file length, and the body length counted by hand.
    static let lengths:
        [(
            boundary: String, fields: [(name: String, value: String)], filename: String,
            contentType: String?, fileLength: Int64, expected: Int64
        )] = [
            ("B", [], "a", nil, 0, 115),
            ("B", [("purpose", "batch")], "a.txt", nil, 10, 191),
            ("B", [("purpose", "fine-tune")], #"q"u\.txt"#, nil, 5, 195),
            ("B", [], "r\r\nn", "text/plain", 3, 111),
            ("B", [], "é", nil, 0, 116),
            (
                "filegate-00000000000000000000000000000000",
                [("purpose", "batch"), ("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "86400")],
                "data.jsonl", "application/jsonl", 1 << 40, 1_099_511_628_313
            ),
        ]

    @Test(arguments: lengths)
    func contentLengthIsExact(
        boundary: String,
        fields: [(name: String, value: String)],
        filename: String,
        contentType: String?,
        fileLength: Int64,
        expected: Int64
    ) {
        let writer = MultipartWriter(boundary: boundary)
        let length = writer.contentLength(
            fields: fields,
            filename: filename,
            fileContentType: contentType,
            fileLength: fileLength
        )
        #expect(length == expected)
        let written =
            writer.prefix(fields: fields, filename: filename, fileContentType: contentType).readableBytes
            + writer.suffix().readableBytes
        #expect(Int64(written) + fileLength == expected)
    }

    /// The writer lays a body out exactly as the openai SDK does: same boundary, fields and file give the same bytes.
    @Test func writesWhatTheSDKWrites() throws {
        let (head, body) = try CapturedRequest.load("openai-sdk-create.http")
        let boundary = try MultipartParser.boundary(fromContentType: head.headers.first(name: "Content-Type"))
        let writer = MultipartWriter(boundary: boundary)
        let fields = [
            ("purpose", "batch"), ("expires_after[anchor]", "created_at"), ("expires_after[seconds]", "86400"),
        ]
        let written =
            Array(
                writer.prefix(fields: fields, filename: "cut %22here%22.jsonl", fileContentType: "application/jsonl")
                    .readableBytesView
            ) + (try CapturedRequest.fileBytes()) + Array(writer.suffix().readableBytesView)
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: body, as: UTF8.self))
    }
}
