public import FilegateCore
import Glibc
public import Logging
public import NIOPosix
public import ServiceLifecycle

/// The embedded backend: file bytes under a directory, metadata in SQLite beside them.
///
/// Layout of `directory`: `content/<id>` whole files, `tmp/<id>` uploads in progress, `metadata.sqlite`. A create
/// streams to `tmp/`, fsyncs, renames into `content/` and only then inserts the row, so nothing half-written is
/// ever listed or served. As a `Service` it sweeps expired files every `sweepInterval` until shutdown.
public final class LocalBackend: Backend, Service {
    public let purposes: Set<Purpose>
    public let expiresAfterRange: ClosedRange<Int64>

    private let content: ContentStore
    let metadata: MetadataStore
    let logger: Logger
    let now: @Sendable () -> Int64
    let sweepInterval: Duration

    /// Unix seconds from the system clock: the default `now`.
    public static let systemClock: @Sendable () -> Int64 = { Int64(time(nil)) }

    /// The local backend's `expires_after` range unless the config sets one (DESIGN.md "expires_after").
    public static let defaultExpiresAfterRange: ClosedRange<Int64> = 3600...2_592_000

    /// Opens the store in `directory`, creating it where missing, and clears what a crash left behind: temporary
    /// files, and content files that never got (or lost) their metadata row.
    ///
    /// - Parameters:
    ///   - purposes: the purposes a create may name (DESIGN.md "Purposes": by default the whole creatable union).
    ///   - expiresAfterRange: the `expires_after` seconds a create may ask for (DESIGN.md "expires_after").
    ///   - threadPool: runs every blocking file call; it must be started and outlive this backend.
    ///   - now: the clock, in unix seconds; tests pass a manual one.
    public init(
        directory: String,
        purposes: Set<Purpose> = Purpose.creatable,
        expiresAfterRange: ClosedRange<Int64> = LocalBackend.defaultExpiresAfterRange,
        threadPool: NIOThreadPool,
        logger: Logger,
        now: @escaping @Sendable () -> Int64 = LocalBackend.systemClock,
        sweepInterval: Duration = .seconds(60)
    ) async throws {
        let io = BlockingIO(threadPool: threadPool)
        let content = try await ContentStore.prepare(directory: directory, io: io)
        let metadata = try await MetadataStore.open(path: directory + "/metadata.sqlite", io: io)
        let temporaryFiles = try await content.removeTemporaryFiles()
        let orphans = try await content.removeOrphans(keeping: metadata.allIDs())
        if temporaryFiles + orphans > 0 {
            logger.notice(
                "Removed files left by an earlier run",
                metadata: [
                    LogKey.directory: "\(directory)",
                    LogKey.temporaryFiles: "\(temporaryFiles)",
                    LogKey.orphans: "\(orphans)",
                ]
            )
        }
        self.purposes = purposes
        self.expiresAfterRange = expiresAfterRange
        self.content = content
        self.metadata = metadata
        self.logger = logger
        self.now = now
        self.sweepInterval = sweepInterval
    }

    public func createFile(
        _ file: NewFile,
        content body: Body,
        context _: inout BackendContext
    ) async throws(GatewayError) -> FileObject {
        guard purposes.contains(file.purpose) else {
            throw GatewayError(
                .unsupportedPurpose,
                "'\(file.purpose)' is not a supported purpose. This backend takes: \(purposes.listed)",
                param: "purpose"
            )
        }
        if let seconds = file.expiresAfterSeconds, !expiresAfterRange.contains(seconds) {
            throw GatewayError(
                .expiresAfterOutOfRange,
                "expires_after[seconds] must be between \(expiresAfterRange.lowerBound) and "
                    + "\(expiresAfterRange.upperBound).",
                param: "expires_after"
            )
        }
        let id = Self.makeID()
        do {
            let bytes = try await content.store(body, as: id)
            let createdAt = now()
            let stored = StoredFile(
                id: id,
                filename: file.filename,
                purpose: file.purpose,
                bytes: bytes,
                createdAt: createdAt,
                expiresAt: file.expiresAfterSeconds.map { createdAt + $0 }
            )
            do {
                try await metadata.insert(stored)
            } catch {
                try? await content.remove(id)
                throw error
            }
            return stored.fileObject
        } catch {
            throw failure(error, operation: "create", id: id)
        }
    }

    public func listFiles(_ query: ListQuery, context _: inout BackendContext) async throws(GatewayError) -> FileList {
        do {
            return try await metadata.list(query, now: now())
        } catch {
            throw failure(error, operation: "list", id: nil)
        }
    }

    public func retrieveFile(_ id: FileID, context _: inout BackendContext) async throws(GatewayError) -> FileObject {
        let stored: StoredFile?
        do {
            stored = try await metadata.file(id: id.rawValue, now: now())
        } catch {
            throw failure(error, operation: "retrieve", id: id.rawValue)
        }
        guard let stored else { throw Self.notFound(id) }
        return stored.fileObject
    }

    /// Removes the row and records its tombstone in one transaction, then unlinks the bytes.
    ///
    /// An unlink that fails is logged, not answered: the file is gone for clients and the next start removes the
    /// orphaned bytes.
    public func deleteFile(_ id: FileID, context _: inout BackendContext) async throws(GatewayError) -> FileDeletion {
        let deleted: Bool
        do {
            deleted = try await metadata.delete(id: id.rawValue, now: now())
        } catch {
            throw failure(error, operation: "delete", id: id.rawValue)
        }
        guard deleted else { throw Self.notFound(id) }
        await removeContent(id.rawValue)
        return FileDeletion(id: id.rawValue, deleted: true)
    }

    /// The file's bytes, or the one part a client's `Range` asks for (`ByteRange`), as the remote backends answer.
    public func fileContent(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileContent {
        let file: OpenedFile?
        do {
            guard try await metadata.file(id: id.rawValue, now: now()) != nil else { throw Self.notFound(id) }
            file = try await content.open(id.rawValue)
        } catch {
            throw failure(error, operation: "content", id: id.rawValue)
        }
        guard let file else { throw Self.notFound(id) }
        let rangeHeader = context.forwardedHeaders.first { $0.name.lowercased() == "range" }?.value
        let range = ByteRange(header: rangeHeader, size: file.size)
        if let contentRange = range.contentRange(size: file.size) {
            context.answerHeaders.append((name: "Content-Range", value: contentRange))
        }
        switch range {
        case .whole:
            return FileContent(contentType: "application/octet-stream", body: content.body(of: file))
        case .part(let offset, let length):
            let body = content.body(of: file, offset: offset, length: length)
            return FileContent(contentType: "application/octet-stream", body: body, isPartial: true)
        case .unsatisfiable:
            throw GatewayError(
                .rangeNotSatisfiable,
                "The requested range starts past the end of the file, which has \(file.size) bytes."
            )
        }
    }

    /// Unlinks a file's bytes after its row is gone, logging a failure.
    func removeContent(_ id: String) async {
        do {
            try await content.remove(id)
        } catch {
            logger.error(
                "Could not remove a deleted file's content; the next start removes it",
                metadata: [LogKey.fileID: "\(id)", LogKey.error: "\(error)"]
            )
        }
    }

    /// `file-` and 32 random lowercase hex digits, the shape of Azure's ids.
    static func makeID() -> String {
        var generator = SystemRandomNumberGenerator()
        let halves = (0..<2).map { _ in
            let digits = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        return "file-" + halves.joined()
    }

    private static func notFound(_ id: FileID) -> GatewayError {
        .notFound("No such file: \(id)")
    }

    /// A `GatewayError` passes as it is; anything else is logged and becomes an internal error.
    private func failure(_ error: any Error, operation: String, id: String?) -> GatewayError {
        if let error = error as? GatewayError { return error }
        var metadata: Logger.Metadata = [LogKey.operation: "\(operation)", LogKey.error: "\(error)"]
        if let id { metadata[LogKey.fileID] = "\(id)" }
        logger.error("Local backend operation failed", metadata: metadata)
        return .internalError("local \(operation): \(error)")
    }
}
