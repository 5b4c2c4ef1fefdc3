import FilegateCore
import FilegateDialects
import FilegateWire
import NIOCore

/// A create's multipart body, read as it streams: fields first, then the file part handed to the backend.
///
/// DESIGN.md "Multipart": when `purpose` comes before the file part (the SDK's order), the file part streams straight
/// into the backend; when the file part comes first (curl in command-line order), it is spooled to disk until the
/// fields are known. Either way the backend's body ends only after the whole form was read and checked, so a
/// truncated or malformed form stores nothing.
struct CreateFileRequest {
    /// The most bytes one text field may hold.
    static let maxFieldBytes = 4096

    let head: RequestHead
    let maxUploadBytes: Int64
    let defaultExpiresAfterSeconds: Int64?
    let spool: FilePartSpool

    func run(
        body: Body,
        sendContinue: @Sendable () async throws -> Void,
        backend: any Backend,
        context: inout BackendContext
    ) async throws(GatewayError) -> FileObject {
        if case .length(let declared) = head.framing, declared > maxUploadBytes {
            throw tooLarge()
        }
        let boundary = try MultipartParser.boundary(fromContentType: head.headers.first(name: "content-type"))
        if head.expectsContinue {
            do {
                try await sendContinue()
            } catch {
                throw GatewayError(.invalidRequest, "The client went away.", underlying: "\(error)")
            }
        }
        let reader = MultipartFormReader(
            parser: MultipartParser(boundary: boundary),
            body: body,
            maxBodyBytes: maxUploadBytes,
            tooLarge: tooLarge()
        )
        var form = CreateForm()
        while let event = try await reader.next() {
            guard case .partHead(let part) = event else {
                continue
            }
            if part.name == "file" {
                return try await storeFilePart(part, form: form, reader: reader, backend: backend, context: &context)
            }
            try form.addField(name: part.name, value: try await reader.readField(named: part.name))
        }
        throw CreateForm.missingFileError
    }

    /// Hands the file part to the backend: streamed when the form's fields are known, spooled first when they are not.
    private func storeFilePart(
        _ part: MultipartPartHead,
        form: CreateForm,
        reader: MultipartFormReader,
        backend: any Backend,
        context: inout BackendContext
    ) async throws(GatewayError) -> FileObject {
        if form.hasPurpose {
            let file = try withDefaults(form.newFile(filename: part.filename))
            let content = Body(length: .unknown, FilePartChunks(reader: reader, formSoFar: form))
            return try await backend.createFile(file, content: content, context: &context)
        }
        let spooled = try await spool.write(FilePartChunks(reader: reader, formSoFar: nil))
        do {
            var form = form
            try await reader.readRemainingFields(into: &form)
            let file = try withDefaults(form.newFile(filename: part.filename))
            let stored = try await backend.createFile(file, content: spooled.body(), context: &context)
            await spooled.remove()
            return stored
        } catch {
            await spooled.remove()
            throw error
        }
    }

    private func withDefaults(_ file: NewFile) -> NewFile {
        var file = file
        if file.expiresAfterSeconds == nil { file.expiresAfterSeconds = defaultExpiresAfterSeconds }
        return file
    }

    private func tooLarge() -> GatewayError {
        GatewayError(.payloadTooLarge, "The request body is larger than the limit of \(maxUploadBytes) bytes.")
    }
}

/// The file part's bytes as a backend pulls them.
///
/// When `formSoFar` is given (the fields came first), reaching the part's end reads the rest of the form before the
/// sequence ends, refusing a field that would have changed the stored file: the backend commits only a whole form.
private struct FilePartChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let reader: MultipartFormReader
    let formSoFar: CreateForm?

    struct AsyncIterator: AsyncIteratorProtocol {
        let reader: MultipartFormReader
        let formSoFar: CreateForm?
        var done = false

        mutating func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            while let event = try await reader.next() {
                switch event {
                case .partBody(let chunk):
                    return chunk
                case .partEnd:
                    done = true
                    if var form = formSoFar {
                        try await reader.readRemainingFields(into: &form, refusingChanges: true)
                    }
                    return nil
                case .partHead, .end:
                    throw GatewayError.invalidRequest("Malformed multipart body: the file part did not end.")
                }
            }
            throw GatewayError.invalidRequest("Malformed multipart body: the file part did not end.")
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader, formSoFar: formSoFar) }
}
