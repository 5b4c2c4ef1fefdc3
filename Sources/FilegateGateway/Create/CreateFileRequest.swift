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
                return try await storeFilePart(
                    part,
                    form: form,
                    reader: reader,
                    boundary: boundary,
                    backend: backend,
                    context: &context
                )
            }
            try form.addField(name: part.name, value: try await reader.readField(named: part.name))
        }
        throw CreateForm.missingFileError
    }

    /// Hands the file part to the backend: streamed when the form's fields and the part's length are known (the
    /// fields came first in a body of declared length), spooled first when they are not (DESIGN.md "Multipart").
    /// Either way the backend sees a known length, so a remote backend never sends a chunked body upstream.
    private func storeFilePart(
        _ part: MultipartPartHead,
        form: CreateForm,
        reader: MultipartFormReader,
        boundary: String,
        backend: any Backend,
        context: inout BackendContext
    ) async throws(GatewayError) -> FileObject {
        if form.hasPurpose, case .length(let declared) = head.framing,
            let length = FilePartLength.predict(
                declaredLength: declared,
                bytesBeforeFileData: reader.consumedBytes,
                boundary: boundary
            )
        {
            let file = try withDefaults(form.newFile(filename: part.filename))
            let chunks = FilePartChunks(reader: reader, formSoFar: form, expectedLength: length)
            return try await backend.createFile(file, content: Body(length: .known(length), chunks), context: &context)
        }
        let spooled = try await spool.write(FilePartChunks(reader: reader, formSoFar: nil, expectedLength: nil))
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
/// When `expectedLength` is given (the length the backend was promised), a part of any other length is refused.
private struct FilePartChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let reader: MultipartFormReader
    let formSoFar: CreateForm?
    let expectedLength: Int64?

    struct AsyncIterator: AsyncIteratorProtocol {
        let reader: MultipartFormReader
        let formSoFar: CreateForm?
        let expectedLength: Int64?
        var received: Int64 = 0
        var done = false

        mutating func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            while let event = try await reader.next() {
                switch event {
                case .partBody(let chunk):
                    received += Int64(chunk.readableBytes)
                    if let expectedLength, received > expectedLength { throw Self.notAsDeclared }
                    return chunk
                case .partEnd:
                    done = true
                    if var form = formSoFar {
                        try await reader.readRemainingFields(into: &form, refusingChanges: true)
                    }
                    if let expectedLength, received != expectedLength { throw Self.notAsDeclared }
                    return nil
                case .partHead, .end:
                    throw GatewayError.invalidRequest("Malformed multipart body: the file part did not end.")
                }
            }
            throw GatewayError.invalidRequest("Malformed multipart body: the file part did not end.")
        }

        /// The file part was streamed on the length the body declared, assuming it ends with the closing boundary.
        static let notAsDeclared = GatewayError.invalidRequest(
            "The multipart body does not end right after the file part as its length implied; send every field "
                + "before the file, and nothing after it.",
            param: "file"
        )
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(reader: reader, formSoFar: formSoFar, expectedLength: expectedLength)
    }
}
