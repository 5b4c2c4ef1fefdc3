import FilegateCore
import NIOCore
import Testing

@Suite("Body")
struct BodyTests {
    /// Chunks from an async stream, as a producer behind a `Body` yields them.
    static func streamed(_ chunks: [String], length: Body.Length = .unknown) -> Body {
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        for chunk in chunks { continuation.yield(ByteBuffer(string: chunk)) }
        continuation.finish()
        return Body(length: length, stream)
    }

    @Test("an in-memory body knows its length and yields its bytes once")
    func inMemory() async throws {
        let body = Body(Array("hello".utf8))
        #expect(body.length == .known(5))
        var chunks: [String] = []
        for try await chunk in body { chunks.append(String(buffer: chunk)) }
        #expect(chunks == ["hello"])
    }

    @Test("an empty body yields no chunk at all")
    func empty() async throws {
        let body = Body(buffer: ByteBuffer())
        #expect(body.length == .known(0))
        var iterator = body.makeAsyncIterator()
        #expect(try await iterator.next() == nil)
    }

    @Test(
        "collect joins chunks up to the limit and refuses one byte more",
        arguments: [(["ab", "cd", "e"], 5, "abcde"), (["abc"], 3, "abc"), ([], 0, ""), (["", "x"], 1, "x")]
    )
    func collectWithinLimit(chunks: [String], limit: Int, expected: String) async throws {
        let collected = try await Self.streamed(chunks).collect(upTo: limit)
        #expect(String(buffer: collected) == expected)
    }

    @Test(
        "a body over the limit is a 413, whichever chunk crosses it",
        arguments: [(["ab", "cd", "e"], 4), (["abcdef"], 5), (["a", "b"], 1), (["x"], 0)]
    )
    func collectOverLimit(chunks: [String], limit: Int) async {
        await #expect(throws: GatewayError(.payloadTooLarge, "The body is larger than \(limit) bytes.")) {
            _ = try await Self.streamed(chunks).collect(upTo: limit)
        }
    }

    @Test("a producer's error reaches the consumer")
    func producerError() async {
        struct Cut: Error {}
        let (stream, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        continuation.yield(ByteBuffer(string: "partial"))
        continuation.finish(throwing: Cut())
        await #expect(throws: Cut.self) {
            _ = try await Body(length: .known(100), stream).collect(upTo: 1000)
        }
    }
}
