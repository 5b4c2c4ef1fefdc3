import FilegateCore
import FilegateDialects
import NIOCore
import Testing

@Suite("FileListStreamDecoder")
struct FileListStreamDecoderTests {
    static let dialect = Dialects.legacy("2024-06-01")

    /// A 2024-06-01 list: the seed's retrieve example (`succeeded`, 140 bytes) and upload example (`notRunning`, no
    /// `bytes`), an entry with escapes, brackets inside strings and nested objects, members around `data` (one with a
    /// `data` of its own), whitespace between every token.
    static let body = """
         {
          "first_id" : null ,
          "nested": {"data": [1, {"data": "]"}], "s": "\\"}{"},
          "data" : [
            {
              "bytes": 140,
              "purpose": "fine-tune",
              "filename": "puppy.jsonl",
              "id": "file-181a1cbdcdcf4677ada87f63a0928099",
              "status": "succeeded",
              "created_at": 1646126127,
              "object": "file"
            } ,
            {
              "purpose": "fine-tune",
              "filename": "puppy.jsonl",
              "id": "file-281a1cbdcdcf4677ada87f63a0928099",
              "status": "notRunning",
              "created_at": 1646126128,
              "object": "file"
            },
            {"id":"file-3","object":"file","created_at":1646126129,"filename":"a \\"b\\" \\\\ }{][, \\u00e9.jsonl",
             "purpose":"batch","status":"failed","status_details":"line 1: {\\"x\\": [1]}",
             "extra":{"deep":[{"a":[[]]},"]}"],"n":-1.5e3,"t":true,"f":false,"z":null},"bytes":0}
          ],
          "object":"list",
          "has_more" : false
        }\t\r

        """

    static let expected = [
        FileObject(
            id: "file-181a1cbdcdcf4677ada87f63a0928099",
            bytes: 140,
            createdAt: 1_646_126_127,
            filename: "puppy.jsonl",
            purpose: .fineTune,
            status: .processed
        ),
        FileObject(
            id: "file-281a1cbdcdcf4677ada87f63a0928099",
            bytes: nil,
            createdAt: 1_646_126_128,
            filename: "puppy.jsonl",
            purpose: .fineTune,
            status: .pending
        ),
        FileObject(
            id: "file-3",
            bytes: 0,
            createdAt: 1_646_126_129,
            filename: "a \"b\" \\ }{][, \u{e9}.jsonl",
            purpose: .batch,
            status: .error,
            statusDetails: "line 1: {\"x\": [1]}"
        ),
    ]

    /// Feeds `chunks` and finishes, returning every file object in order.
    static func decode(_ chunks: [ByteBuffer], maxEntryBytes: Int = 65536) throws(GatewayError) -> [FileObject] {
        var decoder = FileListStreamDecoder(dialect: dialect, maxEntryBytes: maxEntryBytes)
        var files: [FileObject] = []
        for chunk in chunks {
            files += try decoder.feed(chunk)
        }
        try decoder.finish()
        return files
    }

    /// The error `body` fed whole fails with; `nil` when it decodes.
    static func failure(_ body: String, maxEntryBytes: Int = 65536) -> GatewayError? {
        do {
            _ = try decode([buffer(body)], maxEntryBytes: maxEntryBytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("the list whole gives what decodeList gives")
    func whole() throws {
        #expect(try Self.decode([buffer(Self.body)]) == Self.expected)
        #expect(try Self.dialect.decodeList(buffer(Self.body)).data == Self.expected)
    }

    @Test("the list split at every offset gives the same files")
    func everySplit() throws {
        let whole = buffer(Self.body)
        for offset in 0...whole.readableBytes {
            let head = whole.getSlice(at: 0, length: offset) ?? ByteBuffer()
            let tail = whole.getSlice(at: offset, length: whole.readableBytes - offset) ?? ByteBuffer()
            let files = try Self.decode([head, tail])
            #expect(files == Self.expected, "split at \(offset)")
        }
    }

    @Test("the list fed one byte at a time gives each file with its last byte")
    func byteByByte() throws {
        var decoder = FileListStreamDecoder(dialect: Self.dialect)
        var files: [FileObject] = []
        var lastBytes: [UInt8] = []
        for byte in Self.body.utf8 {
            let completed = try decoder.feed(ByteBuffer(bytes: [byte]))
            #expect(completed.count <= 1)
            if !completed.isEmpty { lastBytes.append(byte) }
            files += completed
        }
        try decoder.finish()
        #expect(files == Self.expected)
        #expect(lastBytes == Array(repeating: UInt8(ascii: "}"), count: 3))
    }

    @Test("every proper prefix of the list is refused at finish")
    func truncated() throws {
        let bytes = Array(Self.body.utf8)
        let end = try #require(bytes.lastIndex(of: UInt8(ascii: "}")))
        for length in 0...end {
            var decoder = FileListStreamDecoder(dialect: Self.dialect)
            _ = try decoder.feed(ByteBuffer(bytes: bytes[0..<length]))
            #expect(throws: GatewayError.self, "prefix of \(length) bytes") { try decoder.finish() }
        }
    }

    static let file =
        #"{"id":"file-a","object":"file","created_at":1,"filename":"f","purpose":"x","#
        + #""status":"processed"}"#

    static let valid: [(String, [String])] = [
        (#"{"data": [], "object": "list"}"#, []),
        (#"{ "object" : "list" , "data" : [ ] }"#, []),
        (#"{"data":[\#(file)]}"#, ["file-a"]),
        (#"{"has_more":true,"data":[],"n":12,"b":false,"s":"}"}"#, []),
        (#"{"d\u0061ta": []}"#, []),
    ]

    @Test("lists in any member order, with any other members", arguments: valid)
    func accepted(body: String, ids: [String]) throws {
        #expect(try Self.decode([buffer(body)]).map(\.id) == ids)
    }

    /// (body, what is wrong with it).
    static let invalid: [(String, String)] = [
        ("", "empty body"),
        ("[]", "an array"),
        ("{}", "no data"),
        (#"{"object": "list"}"#, "no data"),
        (#"{"data": {}}"#, "data is an object"),
        (#"{"data": null}"#, "data is null"),
        (#"{"data": "[]"}"#, "data is a string"),
        (#"{"data": [}"#, "bad bracket"),
        (#"{"data": [1]}"#, "an element that is not an object"),
        (#"{"data": [{"id": "file-a"}]}"#, "an element without fields"),
        (#"{"data": [\#(file),]}"#, "trailing comma in data"),
        (#"{"data": [,\#(file)]}"#, "leading comma in data"),
        (#"{"data": [\#(file) \#(file)]}"#, "missing comma in data"),
        (#"{"data": [], }"#, "trailing comma in the object"),
        (#"{"data": [] "object": "list"}"#, "missing comma between members"),
        (#"{"data" []}"#, "missing colon"),
        (#"{"data": [], "data": []}"#, "two data members"),
        (#"{"data": [], "x": tru}"#, "bad literal"),
        (#"{"data": [], "x": [1,}"#, "bad array in another member"),
        (#"{"data": [], "x": }"#, "a member without a value"),
        (#"{"data": [], "x": "a" "b"}"#, "two values"),
        (#"{"data": []} x"#, "bytes after the object"),
        (#"{"data": []}}"#, "a second closing brace"),
        (#"{data: []}"#, "an unquoted key"),
        (
            #"{"data": [{"id":"file-a","object":"file","created_at":1,"filename":"f","purpose":"x","status":"x"}]}"#,
            "an unknown status word"
        ),
    ]

    @Test("anything but a valid list is a 502", arguments: invalid)
    func refused(body: String, reason: String) {
        let error = Self.failure(body)
        #expect(error?.code == .badGateway, "\(reason)")
        #expect(error?.status == 502)
    }

    @Test("an element over maxEntryBytes is refused, one at the limit is read")
    func entrySize() throws {
        let body = #"{"data": [\#(Self.file)]}"#
        let size = Self.file.utf8.count
        #expect(try Self.decode([buffer(body)], maxEntryBytes: size).map(\.id) == ["file-a"])
        let error = Self.failure(body, maxEntryBytes: size - 1)
        #expect(error?.code == .badGateway)
        #expect(error?.message == "The upstream service's answer is not a valid list.")
        // Split so that no one chunk holds the whole element: the bound holds across chunks.
        var decoder = FileListStreamDecoder(dialect: Self.dialect, maxEntryBytes: size - 1)
        let bytes = Array(body.utf8)
        #expect(throws: GatewayError.self) {
            for start in stride(from: 0, to: bytes.count, by: 7) {
                _ = try decoder.feed(ByteBuffer(bytes: bytes[start..<min(start + 7, bytes.count)]))
            }
        }
    }

    @Test("another member over maxEntryBytes is refused")
    func otherMemberSize() {
        let body = #"{"data": [], "padding": "\#(String(repeating: "x", count: 100))"}"#
        #expect(Self.failure(body, maxEntryBytes: 100)?.code == .badGateway)
        #expect(Self.failure(body, maxEntryBytes: 102) == nil)
    }

    @Test("after an error the decoder refuses everything")
    func failedStays() throws {
        var decoder = FileListStreamDecoder(dialect: Self.dialect)
        #expect(throws: GatewayError.self) { try decoder.feed(buffer("[")) }
        #expect(throws: GatewayError.self) { try decoder.feed(buffer(#"{"data": []}"#)) }
        #expect(throws: GatewayError.self) { try decoder.finish() }
    }

    @Test("a list far longer than maxEntryBytes streams element by element")
    func longList() throws {
        var decoder = FileListStreamDecoder(dialect: .openAI, maxEntryBytes: 256)
        var count = 0
        _ = try decoder.feed(buffer(#"{"object": "list", "data": ["#))
        for index in 0..<5000 {
            let entry =
                #"{"id":"file-\#(index)","object":"file","created_at":\#(index),"filename":"f","#
                + #""purpose":"batch","status":"processed","bytes":\#(index)}"#
            count += try decoder.feed(buffer((index == 0 ? "" : ",") + entry)).count
        }
        count += try decoder.feed(buffer(#"], "has_more": false}"#)).count
        try decoder.finish()
        #expect(count == 5000)
    }
}
