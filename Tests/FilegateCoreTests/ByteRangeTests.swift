import FilegateCore
import Testing

@Suite("ByteRange")
struct ByteRangeTests {
    /// RFC 9110 §14.1.2 as filegate serves it: (Range header, file size, resolution, Content-Range).
    static let cases: [(String?, Int64, ByteRange, String?)] = [
        (nil, 1000, .whole, nil),
        ("bytes=10-19", 1000, .part(offset: 10, length: 10), "bytes 10-19/1000"),
        ("bytes=0-0", 1000, .part(offset: 0, length: 1), "bytes 0-0/1000"),
        ("bytes=990-5000", 1000, .part(offset: 990, length: 10), "bytes 990-999/1000"),
        ("bytes=995-", 1000, .part(offset: 995, length: 5), "bytes 995-999/1000"),
        ("bytes=-3", 1000, .part(offset: 997, length: 3), "bytes 997-999/1000"),
        ("bytes=-5000", 1000, .part(offset: 0, length: 1000), "bytes 0-999/1000"),
        ("Bytes=1-2", 1000, .part(offset: 1, length: 2), "bytes 1-2/1000"),
        ("bytes=0-99999999999999999999", 1000, .part(offset: 0, length: 1000), "bytes 0-999/1000"),
        ("bytes=1000-", 1000, .unsatisfiable, "bytes */1000"),
        ("bytes=99999999999999999999-", 1000, .unsatisfiable, "bytes */1000"),
        ("bytes=-0", 1000, .unsatisfiable, "bytes */1000"),
        ("bytes=0-", 0, .unsatisfiable, "bytes */0"),
        // A suffix of an empty file selects nothing: the whole, empty, file.
        ("bytes=-5", 0, .whole, nil),
        // Ignored, so the whole file: several ranges, LAST before FIRST, no numbers, signs, spaces, another unit.
        ("bytes=0-1,5-6", 1000, .whole, nil),
        ("bytes=20-10", 1000, .whole, nil),
        ("bytes=-", 1000, .whole, nil),
        ("bytes=a-b", 1000, .whole, nil),
        ("bytes=+1-2", 1000, .whole, nil),
        ("bytes= 1-2", 1000, .whole, nil),
        ("bytes=1", 1000, .whole, nil),
        ("items=0-1", 1000, .whole, nil),
        ("bytes", 1000, .whole, nil),
        ("", 1000, .whole, nil),
    ]

    @Test("each Range header's resolution and Content-Range", arguments: cases)
    func resolves(header: String?, size: Int64, resolution: ByteRange, contentRange: String?) {
        let range = ByteRange(header: header, size: size)
        #expect(range == resolution)
        #expect(range.contentRange(size: size) == contentRange)
    }
}
