import FilegateCore
import FilegateLocal
import FoundationEssentials
import Glibc
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A clock the test moves by hand, read through `LocalBackend`'s `now` closure.
final class ManualClock: Sendable {
    private let seconds: Mutex<Int64>

    init(_ start: Int64 = 1_700_000_000) {
        seconds = Mutex(start)
    }

    func now() -> Int64 { seconds.withLock { $0 } }

    func advance(by delta: Int64) {
        seconds.withLock { $0 += delta }
    }
}

/// One test's world: a fresh temporary directory, a started two-thread pool and a manual clock.
struct LocalFixture {
    let directory: String
    let threadPool: NIOThreadPool
    let clock: ManualClock

    /// Runs `body` with a fresh fixture, then shuts the pool down and removes the directory.
    static func with(_ body: (LocalFixture) async throws -> Void) async throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/filegate-local-XXXXXX".utf8CString)
        let directory = try template.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress, let path = mkdtemp(base) else { throw FixtureError.mkdtemp(errno) }
            return String(cString: path)
        }
        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let fixture = LocalFixture(directory: directory + "/store", threadPool: threadPool, clock: ManualClock())
        do {
            try await body(fixture)
        } catch {
            try await threadPool.shutdownGracefully()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        try await threadPool.shutdownGracefully()
        try FileManager.default.removeItem(atPath: directory)
    }

    func makeBackend(
        purposes: Set<Purpose> = Purpose.creatable,
        expiresAfterRange: ClosedRange<Int64> = 3600...2_592_000
    ) async throws -> LocalBackend {
        let clock = clock
        return try await LocalBackend(
            directory: directory,
            purposes: purposes,
            expiresAfterRange: expiresAfterRange,
            threadPool: threadPool,
            logger: Logger(label: "filegate.local.tests", factory: { _ in SwiftLogNoOpLogHandler() }),
            now: { clock.now() },
            sweepInterval: .seconds(3600)
        )
    }

    /// Names of the files in `content/` or `tmp/`, sorted.
    func files(in subdirectory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory + "/" + subdirectory).sorted()
    }

    /// Writes `bytes` to a file under the store directory, as a crash or another process would leave it.
    func plant(_ bytes: [UInt8], at relativePath: String) throws {
        let path = directory + "/" + relativePath
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw FixtureError.plant(relativePath)
        }
    }
}

enum FixtureError: Error {
    case mkdtemp(CInt)
    case plant(String)
    case badID(String)
}

/// Records whether a body was iterated: for checks that must fail before a byte is read.
final class IterationFlag: Sendable {
    private let iterated = Atomic(false)

    var wasIterated: Bool { iterated.load(ordering: .relaxed) }

    func set() { iterated.store(true, ordering: .relaxed) }
}

/// A test body's chunks: given buffers in order, optionally failing after `failAfter` of them.
struct TestChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// The error a failing body throws, as a client that went away would.
    struct ClientWentAway: Error {}

    var chunks: [ByteBuffer]
    var failAfter: Int?
    var flag: IterationFlag?

    struct AsyncIterator: AsyncIteratorProtocol {
        var source: TestChunks
        var index = 0

        mutating func next() async throws -> ByteBuffer? {
            source.flag?.set()
            if let failAfter = source.failAfter, index == failAfter { throw ClientWentAway() }
            guard index < source.chunks.count else { return nil }
            defer { index += 1 }
            return source.chunks[index]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self) }
}

/// `count` bytes in a pattern that a shifted or dropped chunk would break.
func patternBytes(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 % 251) }
}

/// `bytes` cut into chunks of the given sizes, cycling through them, as a network would deliver them.
func chunked(_ bytes: [UInt8], sizes: [Int]) -> [ByteBuffer] {
    var chunks: [ByteBuffer] = []
    var start = 0
    var next = 0
    while start < bytes.count {
        let end = min(start + sizes[next % sizes.count], bytes.count)
        chunks.append(ByteBuffer(bytes: bytes[start..<end]))
        start = end
        next += 1
    }
    return chunks
}

extension LocalBackend {
    /// Creates a small file named `name`; the clock decides its `created_at`.
    func create(
        _ name: String,
        purpose: Purpose = .assistants,
        bytes: [UInt8] = Array("hello".utf8),
        expiresAfter: Int64? = nil
    ) async throws -> FileObject {
        try await createFile(
            NewFile(filename: name, purpose: purpose, expiresAfterSeconds: expiresAfter),
            content: Body(bytes)
        )
    }

    /// The file's whole content, read through `fileContent`.
    func contentBytes(_ id: String) async throws -> [UInt8] {
        guard let fileID = FileID(rawValue: id) else { throw FixtureError.badID(id) }
        let content = try await fileContent(fileID)
        var collected: [UInt8] = []
        for try await chunk in content.body {
            collected += chunk.readableBytesView
        }
        return collected
    }
}

/// The backend calls without a request context, which the local backend reads only for a content `Range`: keeps the
/// tests about files.
extension LocalBackend {
    func createFile(_ file: NewFile, content: Body) async throws(GatewayError) -> FileObject {
        var context = BackendContext(requestID: "test")
        return try await createFile(file, content: content, context: &context)
    }

    func listFiles(_ query: ListQuery) async throws(GatewayError) -> FileList {
        var context = BackendContext(requestID: "test")
        return try await listFiles(query, context: &context)
    }

    func retrieveFile(_ id: FileID) async throws(GatewayError) -> FileObject {
        var context = BackendContext(requestID: "test")
        return try await retrieveFile(id, context: &context)
    }

    func deleteFile(_ id: FileID) async throws(GatewayError) -> FileDeletion {
        var context = BackendContext(requestID: "test")
        return try await deleteFile(id, context: &context)
    }

    func fileContent(_ id: FileID) async throws(GatewayError) -> FileContent {
        var context = BackendContext(requestID: "test")
        return try await fileContent(id, context: &context)
    }
}
