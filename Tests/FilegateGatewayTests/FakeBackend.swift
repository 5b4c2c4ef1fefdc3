import FilegateCore
import NIOCore
import Synchronization

/// An in-memory `Backend` that records what the gateway handed it, for gateway tests.
final class FakeBackend: Backend {
    let purposes: Set<Purpose>
    private let state = Mutex<State>(State())

    struct State {
        var files: [String: (FileObject, [UInt8])] = [:]
        var created: [NewFile] = []
        var nextID = 1
    }

    init(purposes: Set<Purpose> = Purpose.creatable) {
        self.purposes = purposes
    }

    var created: [NewFile] { state.withLock { $0.created } }
    var storedCount: Int { state.withLock { $0.files.count } }

    func createFile(
        _ file: NewFile,
        content: Body,
        context: inout BackendContext
    ) async throws(GatewayError) -> FileObject {
        guard purposes.contains(file.purpose) else {
            throw GatewayError(.unsupportedPurpose, "This backend takes: \(purposes.listed)", param: "purpose")
        }
        var bytes: [UInt8] = []
        do {
            for try await chunk in content { bytes += chunk.readableBytesView }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError.internalError("\(error)")
        }
        return state.withLock { state in
            let id = "file-\(state.nextID)"
            state.nextID += 1
            let object = FileObject(
                id: id,
                bytes: Int64(bytes.count),
                createdAt: 1_700_000_000,
                filename: file.filename,
                purpose: file.purpose,
                status: .processed,
                expiresAt: file.expiresAfterSeconds.map { 1_700_000_000 + $0 }
            )
            state.files[id] = (object, bytes)
            state.created.append(file)
            return object
        }
    }

    func listFiles(_ query: ListQuery, context: inout BackendContext) async throws(GatewayError) -> FileList {
        let all = state.withLock { $0.files.values.map(\.0) }.sorted { $0.id < $1.id }
        return FileList(data: Array(all.prefix(query.limit)), hasMore: all.count > query.limit)
    }

    /// Answers as an upstream would: with its own request id and a rate-limit header for the client.
    func retrieveFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileObject {
        context.upstreamRequestID = "upstream-\(id)"
        context.answerHeaders.append((name: "x-ratelimit-remaining-requests", value: "7"))
        guard let file = state.withLock({ $0.files[id.rawValue] }) else { throw .notFound() }
        return file.0
    }

    func deleteFile(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileDeletion {
        guard state.withLock({ $0.files.removeValue(forKey: id.rawValue) }) != nil else { throw .notFound() }
        return FileDeletion(id: id.rawValue)
    }

    func fileContent(_ id: FileID, context: inout BackendContext) async throws(GatewayError) -> FileContent {
        guard let file = state.withLock({ $0.files[id.rawValue] }) else { throw .notFound() }
        return FileContent(body: Body(file.1))
    }
}
