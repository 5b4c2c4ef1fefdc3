import FilegateCore
import Testing

@Suite("FileID")
struct FileIDTests {
    @Test(
        "plain ids pass unchanged",
        arguments: [
            "file-abc123", "file_ABC-09", "a", "0", "-", "_", "assistant-Zx9_q", String(repeating: "f", count: 96),
        ]
    )
    func plainIDs(_ text: String) throws {
        let id = try #require(FileID(rawValue: text))
        #expect(id.rawValue == text)
        #expect(id.description == text)
    }

    @Test(
        "anything that could leave its place in a path or URL is refused",
        arguments: [
            "", String(repeating: "f", count: 97), "file/abc", "/", ".", "..", "file.abc", "../etc", "file%2Fabc",
            "file abc", " file", "file\t", "file\n", "file\r\nX-Injected: 1", "file\u{0}", "file?x=1", "file#x",
            "file;x", "file:abc", "file\\abc", "fïle", "file\u{200B}", "ﬁle", "file\u{7F}",
        ]
    )
    func refused(_ text: String) {
        #expect(FileID(rawValue: text) == nil)
    }

    @Test("the length limit counts UTF-8 bytes, and a 96-byte id is the longest")
    func lengthLimit() {
        #expect(FileID.maxLength == 96)
        #expect(FileID(rawValue: String(repeating: "-", count: FileID.maxLength)) != nil)
        #expect(FileID(rawValue: String(repeating: "-", count: FileID.maxLength + 1)) == nil)
        // 48 two-byte characters are 96 bytes, and not ASCII either.
        #expect(FileID(rawValue: String(repeating: "é", count: 48)) == nil)
    }

    @Test("ids compare by their text, case included")
    func equality() {
        #expect(FileID(rawValue: "file-a") == FileID(rawValue: "file-a"))
        #expect(FileID(rawValue: "file-a") != FileID(rawValue: "FILE-A"))
        #expect(Set([FileID(rawValue: "x")!, FileID(rawValue: "x")!]).count == 1)
    }
}
