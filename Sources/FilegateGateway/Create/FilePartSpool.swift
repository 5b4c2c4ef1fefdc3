import FilegateCore
import Glibc
import NIOCore
public import NIOPosix

/// Temporary files under `state_directory` that hold a file part until the form's fields are known.
///
/// Blocking file calls run on a `NIOThreadPool`, never on an event loop or the cooperative pool.
public struct FilePartSpool: Sendable {
    private let directory: String
    private let threadPool: NIOThreadPool

    /// Creates `directory` if needed and removes what a crash left in it.
    public init(directory: String, threadPool: NIOThreadPool) async throws {
        self.directory = directory
        self.threadPool = threadPool
        try await threadPool.runIfActive { [directory] in
            try Self.prepare(directory: directory)
        }
    }

    /// Writes `chunks` to a new spool file; on failure the file is removed and the error rethrown.
    func write(_ chunks: some AsyncSequence<ByteBuffer, any Error>) async throws(GatewayError) -> SpooledFile {
        let path = directory + "/" + RequestID.make().description + ".part"
        let file: SpooledFile
        do {
            let descriptor = try await threadPool.runIfActive {
                try Self.check(open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600), "open")
            }
            file = SpooledFile(path: path, descriptor: descriptor, threadPool: threadPool)
        } catch {
            throw GatewayError.internalError("spool: \(error)")
        }
        do {
            for try await chunk in chunks {
                try await file.append(chunk)
            }
            try await file.closeForWriting()
            return file
        } catch {
            await file.remove()
            if let error = error as? GatewayError { throw error }
            throw GatewayError.internalError("spool: \(error)")
        }
    }

    private static func prepare(directory: String) throws {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw SpoolError(operation: "mkdir \(directory)", errno: errno)
        }
        guard let handle = opendir(directory) else { throw SpoolError(operation: "opendir", errno: errno) }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".part") { unlink(directory + "/" + name) }
        }
    }

    fileprivate static func check(_ result: Int32, _ operation: String) throws -> Int32 {
        guard result >= 0 else { throw SpoolError(operation: operation, errno: errno) }
        return result
    }
}

/// A failed system call in the spool, with its errno; for logs.
struct SpoolError: Error, CustomStringConvertible {
    var operation: String
    var errno: Int32
    var description: String { "\(operation): \(String(cString: strerror(errno)))" }
}

/// One spooled file part: appended once, then read back as a `Body` of known length, then removed.
///
/// `@unchecked Sendable`: its descriptor and size are touched by one request's task at a time, in that order.
final class SpooledFile: @unchecked Sendable {
    static let readChunkBytes = 256 * 1024

    let path: String
    private var descriptor: Int32
    private var size: Int64 = 0
    private let threadPool: NIOThreadPool

    init(path: String, descriptor: Int32, threadPool: NIOThreadPool) {
        self.path = path
        self.descriptor = descriptor
        self.threadPool = threadPool
    }

    func append(_ chunk: ByteBuffer) async throws {
        let descriptor = self.descriptor
        try await threadPool.runIfActive {
            try chunk.withUnsafeReadableBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw SpoolError(operation: "write", errno: errno)
                    }
                    offset += written
                }
            }
        }
        size += Int64(chunk.readableBytes)
    }

    func closeForWriting() async throws {
        let descriptor = self.descriptor
        self.descriptor = -1
        _ = try await threadPool.runIfActive { close(descriptor) }
    }

    /// The spooled bytes, read on the thread pool as the consumer pulls them.
    func body() -> Body {
        Body(length: .known(size), SpooledChunks(path: path, size: size, threadPool: threadPool))
    }

    func remove() async {
        let path = self.path
        let descriptor = self.descriptor
        self.descriptor = -1
        _ = try? await threadPool.runIfActive {
            if descriptor >= 0 { close(descriptor) }
            unlink(path)
        }
    }
}

/// Reads a spooled file in order, one chunk per `next()`, so nothing is read before it is wanted.
private struct SpooledChunks: AsyncSequence, Sendable {
    let path: String
    let size: Int64
    let threadPool: NIOThreadPool

    struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        let size: Int64
        let threadPool: NIOThreadPool
        var offset: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < size else { return nil }
            let (path, start, count) = (path, offset, Int(Swift.min(Int64(SpooledFile.readChunkBytes), size - offset)))
            let chunk = try await threadPool.runIfActive {
                let descriptor = try FilePartSpool.check(open(path, O_RDONLY | O_CLOEXEC), "open")
                defer { close(descriptor) }
                var buffer = ByteBuffer()
                let read = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { target in
                    let result = pread(descriptor, target.baseAddress!, count, off_t(start))
                    guard result >= 0 else { throw SpoolError(operation: "pread", errno: errno) }
                    return result
                }
                guard read == count else { throw SpoolError(operation: "pread: spool file shrank", errno: EIO) }
                return buffer
            }
            offset += Int64(chunk.readableBytes)
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(path: path, size: size, threadPool: threadPool) }
}
