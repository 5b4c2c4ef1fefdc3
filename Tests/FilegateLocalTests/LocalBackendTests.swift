import FilegateCore
import FilegateLocal
import NIOCore
import Testing

/// LocalBackend on real files in a temporary directory, with a manual clock (STYLE.md §7, component layer).
@Suite struct LocalBackendTests {
    @Test func createThenRetrieveListContentDelete() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let created = try await backend.createFile(
                NewFile(filename: "notes.jsonl", purpose: .batch, expiresAfterSeconds: 7200),
                content: Body(Array("{\"a\":1}\n".utf8))
            )
            let now = fixture.clock.now()
            #expect(created.id.hasPrefix("file-"))
            #expect(created.id.count == 37)
            #expect(created.id.dropFirst(5).allSatisfy { "0123456789abcdef".contains($0) })
            #expect(
                created
                    == FileObject(
                        id: created.id,
                        bytes: 8,
                        createdAt: now,
                        filename: "notes.jsonl",
                        purpose: .batch,
                        status: .processed,
                        expiresAt: now + 7200
                    )
            )
            let id = try #require(FileID(rawValue: created.id))
            #expect(try await backend.retrieveFile(id) == created)
            #expect(try await backend.listFiles(ListQuery()) == FileList(data: [created], hasMore: false))
            let content = try await backend.fileContent(id)
            #expect(content.contentType == "application/octet-stream")
            #expect(content.body.length == .known(8))
            #expect(try await backend.contentBytes(created.id) == Array("{\"a\":1}\n".utf8))
            #expect(try fixture.files(in: "content") == [created.id])

            #expect(try await backend.deleteFile(id) == FileDeletion(id: created.id, deleted: true))
            #expect(try fixture.files(in: "content") == [])
            #expect(try await backend.listFiles(ListQuery()) == FileList(data: [], hasMore: false))
            await #expect(throws: GatewayError.notFound("No such file: \(created.id)")) {
                try await backend.retrieveFile(id)
            }
        }
    }

    @Test func unknownIDIsNotFoundEverywhere() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let id = try #require(FileID(rawValue: "file-00000000000000000000000000000000"))
            let notFound = GatewayError.notFound("No such file: \(id)")
            await #expect(throws: notFound) { try await backend.retrieveFile(id) }
            await #expect(throws: notFound) { try await backend.deleteFile(id) }
            await #expect(throws: notFound) { try await backend.fileContent(id) }
        }
    }

    @Test func aRangeIsAnsweredWithItsPartAndItsContentRange() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let bytes = patternBytes(600_000)
            let created = try await backend.createFile(
                NewFile(filename: "big.bin", purpose: .userData),
                content: Body(bytes)
            )
            let id = try #require(FileID(rawValue: created.id))

            var context = BackendContext(requestID: "test", forwardedHeaders: [("Range", "bytes=100000-400000")])
            let content = try await backend.fileContent(id, context: &context)
            #expect(content.isPartial)
            #expect(content.body.length == .known(300_001))
            var collected: [UInt8] = []
            for try await chunk in content.body {
                collected += chunk.readableBytesView
            }
            #expect(collected == Array(bytes[100_000...400_000]))
            #expect(context.answerHeaders.map(\.name) == ["Content-Range"])
            #expect(context.answerHeaders.map(\.value) == ["bytes 100000-400000/600000"])

            var past = BackendContext(requestID: "test", forwardedHeaders: [("Range", "bytes=600000-")])
            do throws(GatewayError) {
                _ = try await backend.fileContent(id, context: &past)
                Issue.record("a range past the end was answered")
            } catch {
                #expect(error.code == .rangeNotSatisfiable)
                #expect(error.status == 416)
            }
            #expect(past.answerHeaders.map(\.value) == ["bytes */600000"])

            let whole = try await backend.fileContent(id)
            #expect(!whole.isPartial)
            #expect(try await backend.contentBytes(created.id) == bytes)
        }
    }

    @Test func multiChunkContentRoundTrips() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let bytes = patternBytes(3 * 1024 * 1024 + 17)
            let created = try await backend.createFile(
                NewFile(filename: "big.bin", purpose: .userData),
                content: Body(length: .unknown, TestChunks(chunks: chunked(bytes, sizes: [65_536, 1, 100_003, 7_000])))
            )
            #expect(created.bytes == Int64(bytes.count))

            let id = try #require(FileID(rawValue: created.id))
            let content = try await backend.fileContent(id)
            #expect(content.body.length == .known(Int64(bytes.count)))
            var chunkSizes: [Int] = []
            var collected: [UInt8] = []
            for try await chunk in content.body {
                chunkSizes.append(chunk.readableBytes)
                collected += chunk.readableBytesView
            }
            #expect(collected.count == bytes.count)
            #expect(collected == bytes)
            #expect(chunkSizes.count == 13)
            #expect(chunkSizes.allSatisfy { $0 <= 256 * 1024 })
        }
    }

    @Test(arguments: [Purpose.batchOutput, Purpose(rawValue: "nonsense"), .vision])
    func purposeOutsideTheBackendsSetIsRefusedBeforeReading(purpose: Purpose) async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend(purposes: [.assistants, .batch])
            let flag = IterationFlag()
            await #expect(
                throws: GatewayError(
                    .unsupportedPurpose,
                    "'\(purpose)' is not a supported purpose. This backend takes: assistants, batch",
                    param: "purpose"
                )
            ) {
                try await backend.createFile(
                    NewFile(filename: "a.txt", purpose: purpose),
                    content: Body(length: .unknown, TestChunks(chunks: [ByteBuffer(string: "x")], flag: flag))
                )
            }
            #expect(flag.wasIterated == false)
            #expect(try fixture.files(in: "tmp") == [])
        }
    }

    @Test(arguments: [Int64.min, -1, 0, 3599, 2_592_001, Int64.max])
    func expiresAfterOutsideTheRangeIsRefusedBeforeReading(seconds: Int64) async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let flag = IterationFlag()
            await #expect(
                throws: GatewayError(
                    .expiresAfterOutOfRange,
                    "expires_after[seconds] must be between 3600 and 2592000.",
                    param: "expires_after"
                )
            ) {
                try await backend.createFile(
                    NewFile(filename: "a.txt", purpose: .assistants, expiresAfterSeconds: seconds),
                    content: Body(length: .unknown, TestChunks(chunks: [ByteBuffer(string: "x")], flag: flag))
                )
            }
            #expect(flag.wasIterated == false)
        }
    }

    @Test(arguments: [Int64(3600), 2_592_000])
    func expiresAfterAtTheRangesEndsIsAccepted(seconds: Int64) async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let created = try await backend.create("a.txt", expiresAfter: seconds)
            #expect(created.expiresAt == fixture.clock.now() + seconds)
        }
    }

    @Test(arguments: [0, 1, 40])
    func bodyThatFailsLeavesNothingBehind(failAfter: Int) async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let chunks = chunked(patternBytes(40 * 65_536), sizes: [65_536])
            await #expect(throws: GatewayError.self) {
                try await backend.createFile(
                    NewFile(filename: "cut.bin", purpose: .assistants),
                    content: Body(length: .unknown, TestChunks(chunks: chunks, failAfter: failAfter))
                )
            }
            #expect(try fixture.files(in: "content") == [])
            #expect(try fixture.files(in: "tmp") == [])
            #expect(try await backend.listFiles(ListQuery()) == FileList(data: [], hasMore: false))
        }
    }

    @Test func bodyThatThrowsAGatewayErrorPassesItOn() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let tooLarge = GatewayError(.payloadTooLarge, "The body is larger than 1 bytes.")
            let body = Body(length: .unknown, FailingChunks(error: tooLarge))
            await #expect(throws: tooLarge) {
                try await backend.createFile(NewFile(filename: "a", purpose: .assistants), content: body)
            }
            #expect(try fixture.files(in: "tmp") == [])
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func uploadCancelledMidwayLeavesNothingBehind() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let (reachedSecondPull, signal) = AsyncStream<Void>.makeStream()
            let upload = Task {
                try await backend.createFile(
                    NewFile(filename: "stalled.bin", purpose: .assistants),
                    content: Body(length: .unknown, StallingChunks(first: ByteBuffer(string: "x"), stalled: signal))
                )
            }
            var signals = reachedSecondPull.makeAsyncIterator()
            await signals.next()
            #expect(try fixture.files(in: "tmp").count == 1)
            upload.cancel()
            await #expect(throws: GatewayError.self) { try await upload.value }
            #expect(try fixture.files(in: "tmp") == [])
            #expect(try fixture.files(in: "content") == [])
        }
    }

    @Test func contentAnsweredBeforeADeleteStillStreamsWhole() async throws {
        try await LocalFixture.with { fixture in
            let backend = try await fixture.makeBackend()
            let bytes = patternBytes(600_000)
            let created = try await backend.create("a.bin", bytes: bytes)
            let id = try #require(FileID(rawValue: created.id))
            let content = try await backend.fileContent(id)
            var chunks = content.body.makeAsyncIterator()
            var collected = Array(try #require(try await chunks.next()).readableBytesView)
            _ = try await backend.deleteFile(id)
            #expect(try fixture.files(in: "content") == [])
            while let chunk = try await chunks.next() {
                collected += chunk.readableBytesView
            }
            #expect(collected == bytes)
        }
    }

    @Test func reopeningTheDirectorySeesTheSameFiles() async throws {
        try await LocalFixture.with { fixture in
            var created: [FileObject] = []
            do {
                let backend = try await fixture.makeBackend()
                for name in ["a", "b", "c"] {
                    created.append(try await backend.create(name, bytes: Array(name.utf8)))
                    fixture.clock.advance(by: 1)
                }
                _ = try await backend.deleteFile(try #require(FileID(rawValue: created[1].id)))
            }
            let reopened = try await fixture.makeBackend()
            #expect(
                try await reopened.listFiles(ListQuery(order: .asc))
                    == FileList(data: [created[0], created[2]], hasMore: false)
            )
            #expect(try await reopened.contentBytes(created[2].id) == Array("c".utf8))
            #expect(
                try await reopened.listFiles(ListQuery(order: .asc, after: created[1].id))
                    == FileList(data: [created[2]], hasMore: false)
            )
        }
    }

    @Test func leftoversOfACrashAreRemovedAtStart() async throws {
        try await LocalFixture.with { fixture in
            let kept: FileObject
            do {
                let backend = try await fixture.makeBackend()
                kept = try await backend.create("kept")
            }
            try fixture.plant(patternBytes(100), at: "tmp/file-0123456789abcdef0123456789abcdef")
            try fixture.plant(patternBytes(100), at: "tmp/file-fedcba9876543210fedcba9876543210")
            try fixture.plant(patternBytes(100), at: "content/file-00000000000000000000000000000001")
            let reopened = try await fixture.makeBackend()
            #expect(try fixture.files(in: "tmp") == [])
            #expect(try fixture.files(in: "content") == [kept.id])
            #expect(try await reopened.contentBytes(kept.id) == Array("hello".utf8))
        }
    }
}

/// A body that fails on its first pull with a given error.
struct FailingChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    var error: GatewayError

    struct AsyncIterator: AsyncIteratorProtocol {
        var error: GatewayError

        mutating func next() async throws -> ByteBuffer? { throw error }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(error: error) }
}

/// A body that yields one chunk, says so on its second pull, then waits until its task is cancelled.
struct StallingChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    var first: ByteBuffer
    var stalled: AsyncStream<Void>.Continuation

    struct AsyncIterator: AsyncIteratorProtocol {
        var first: ByteBuffer?
        var stalled: AsyncStream<Void>.Continuation

        mutating func next() async throws -> ByteBuffer? {
            if let chunk = first {
                first = nil
                return chunk
            }
            stalled.yield()
            try await Task.sleep(for: .seconds(3600))
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(first: first, stalled: stalled) }
}
