import FilegateCore
import FoundationEssentials
import Glibc
import NIOCore

/// The local backend's file bytes on disk: `content/<id>` for whole files, `tmp/<id>` while one is written.
///
/// A file becomes visible under `content/` only by an atomic rename after its bytes are fsynced, so a crash leaves
/// at most a temporary file (removed at the next start) and never a half-written one. Every blocking call runs on
/// the thread pool behind `io`.
struct ContentStore: Sendable {
    let contentDirectory: String
    let temporaryDirectory: String
    let io: BlockingIO

    /// Bytes per read when serving a file and per write when storing one: large enough to keep thread-pool hops
    /// few, small enough that memory per transfer stays bounded.
    static let chunkSize = 256 * 1024

    /// Creates `directory`, `content/` and `tmp/` where missing.
    static func prepare(directory: String, io: BlockingIO) async throws -> ContentStore {
        let store = ContentStore(
            contentDirectory: directory + "/content",
            temporaryDirectory: directory + "/tmp",
            io: io
        )
        try await io.run {
            for path in [store.contentDirectory, store.temporaryDirectory] {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            }
        }
        return store
    }

    /// Removes every file in `tmp/`: uploads a crash cut short. Answers how many.
    func removeTemporaryFiles() async throws -> Int {
        try await removeFiles(in: temporaryDirectory) { _ in true }
    }

    /// Removes files in `content/` with no metadata row: a crash between rename and insert, or between a row's
    /// delete and the unlink. Answers how many.
    func removeOrphans(keeping ids: Set<String>) async throws -> Int {
        try await removeFiles(in: contentDirectory) { !ids.contains($0) }
    }

    /// Streams `body` into `tmp/<id>`, fsyncs it, renames it to `content/<id>` and fsyncs `content/`.
    ///
    /// Chunks are gathered up to `chunkSize` and written on the pool, so at most one chunk is held. On any error,
    /// the body's own included, the temporary file is removed and the error rethrown. Answers the bytes written.
    func store(_ body: Body, as id: String) async throws -> Int64 {
        let temporaryPath = temporaryDirectory + "/" + id
        let contentPath = path(of: id)
        let descriptor = try await io.run {
            let descriptor = Glibc.open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw SystemCallError("open") }
            return descriptor
        }
        var descriptorOpen = true
        do {
            var bytes: Int64 = 0
            var pending = ByteBuffer()
            for try await var chunk in body {
                bytes += Int64(chunk.readableBytes)
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= Self.chunkSize {
                    let full = pending
                    try await io.run { try Self.writeAll(full, to: descriptor) }
                    pending.clear()
                }
            }
            let rest = pending
            try await io.run {
                try Self.writeAll(rest, to: descriptor)
                guard fsync(descriptor) == 0 else { throw SystemCallError("fsync") }
            }
            descriptorOpen = false
            try await io.runToCompletion {
                guard close(descriptor) == 0 else { throw SystemCallError("close") }
            }
            let contentDirectory = contentDirectory
            try await io.run {
                guard rename(temporaryPath, contentPath) == 0 else { throw SystemCallError("rename") }
                try Self.syncDirectory(contentDirectory)
            }
            return bytes
        } catch {
            let closing = descriptorOpen
            try? await io.runToCompletion {
                if closing { _ = close(descriptor) }
                // The id is fresh, so `content/<id>` can only be this upload, renamed before a failed fsync.
                _ = unlink(temporaryPath)
                _ = unlink(contentPath)
            }
            throw error
        }
    }

    /// Removes `content/<id>`; a file already gone is not an error.
    func remove(_ id: String) async throws {
        let path = path(of: id)
        try await io.runToCompletion {
            guard unlink(path) == 0 || errno == ENOENT else { throw SystemCallError("unlink") }
        }
    }

    /// Opens `content/<id>` for reading (`body(of:offset:length:)`); `nil` when there is no such file.
    ///
    /// The file is opened now, so a delete that follows does not cut a download already answered: the descriptor
    /// keeps the bytes until it is closed.
    func open(_ id: String) async throws -> OpenedFile? {
        let path = path(of: id)
        let io = io
        let file = try await io.run { () throws -> OpenedFile? in
            let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno == ENOENT { return nil }
                throw SystemCallError("open")
            }
            var status = stat()
            guard fstat(descriptor, &status) == 0 else {
                let error = SystemCallError("fstat")
                _ = close(descriptor)
                throw error
            }
            return OpenedFile(descriptor: descriptor, size: Int64(status.st_size), io: io)
        }
        return file
    }

    /// An opened file's bytes: `length` of them from `offset` (within the file), or all of them.
    func body(of file: OpenedFile, offset: Int64 = 0, length: Int64? = nil) -> Body {
        let length = length ?? file.size
        let chunks = ContentChunks(file: file, chunkSize: Self.chunkSize, start: offset, end: offset + length)
        return Body(length: .known(length), chunks)
    }

    private func path(of id: String) -> String {
        contentDirectory + "/" + id
    }

    private func removeFiles(
        in directory: String,
        where shouldRemove: @escaping @Sendable (String) -> Bool
    )
        async throws -> Int
    {
        try await io.run {
            var removed = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) where shouldRemove(name) {
                guard unlink(directory + "/" + name) == 0 || errno == ENOENT else { throw SystemCallError("unlink") }
                removed += 1
            }
            return removed
        }
    }

    /// Writes all of `buffer`, retrying short writes and EINTR.
    private static func writeAll(_ buffer: ByteBuffer, to descriptor: CInt) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count, let base = bytes.baseAddress {
                let written = write(descriptor, base + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw SystemCallError("write")
                }
                offset += written
            }
        }
    }

    /// Fsyncs a directory, so a rename or create in it survives a crash.
    private static func syncDirectory(_ path: String) throws {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SystemCallError("open") }
        defer { _ = close(descriptor) }
        guard fsync(descriptor) == 0 else { throw SystemCallError("fsync") }
    }
}
