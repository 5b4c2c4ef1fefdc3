import FilegateCore
import FilegateDialects
import FilegateWire
import NIOCore

/// Pulls a request body through a `MultipartParser`, counting bytes against the upload limit.
///
/// A class because one read position is shared, in turn, by the gateway (fields) and the backend (the file part).
/// `@unchecked Sendable`: it is only ever used by the one task handling its request, one call at a time.
final class MultipartFormReader: @unchecked Sendable {
    private var parser: MultipartParser
    private var source: Body.AsyncIterator
    private var pending = ByteBuffer()
    private var sourceEnded = false
    private var bytesReceived: Int64 = 0
    private let maxBodyBytes: Int64
    private let tooLarge: GatewayError

    init(parser: MultipartParser, body: Body, maxBodyBytes: Int64, tooLarge: GatewayError) {
        self.parser = parser
        self.source = body.makeAsyncIterator()
        self.maxBodyBytes = maxBodyBytes
        self.tooLarge = tooLarge
    }

    /// Body bytes the parser has consumed: right after a part's head, where that part's data starts.
    var consumedBytes: Int64 { bytesReceived - Int64(pending.readableBytes) }

    /// The next multipart event, or `nil` after the closing boundary; throws on a malformed or truncated form.
    func next() async throws(GatewayError) -> MultipartEvent? {
        while true {
            if let event = try parser.next(&pending) {
                return event
            }
            if sourceEnded {
                try parser.finish()
                return nil
            }
            guard var chunk = try await nextChunk() else {
                sourceEnded = true
                continue
            }
            bytesReceived += Int64(chunk.readableBytes)
            guard bytesReceived <= maxBodyBytes else { throw tooLarge }
            if pending.readableBytes == 0 {
                pending = chunk
            } else {
                pending.writeBuffer(&chunk)
            }
        }
    }

    /// The value of the text field whose head was just read.
    func readField(named name: String) async throws(GatewayError) -> String {
        var value = ByteBuffer()
        while let event = try await next() {
            switch event {
            case .partBody(var chunk):
                guard value.readableBytes + chunk.readableBytes <= CreateFileRequest.maxFieldBytes else {
                    throw GatewayError.invalidRequest(
                        "The field '\(name)' is longer than \(CreateFileRequest.maxFieldBytes) bytes.",
                        param: name
                    )
                }
                value.writeBuffer(&chunk)
            case .partEnd:
                return String(buffer: value)
            case .partHead, .end:
                break
            }
        }
        throw GatewayError.invalidRequest("Malformed multipart body: the field '\(name)' did not end.")
    }

    /// Reads the fields after the file part to the closing boundary.
    ///
    /// - Parameter refusingChanges: the file was already handed on with `form`'s values, so a field that would change
    ///   them is refused rather than silently dropped.
    func readRemainingFields(into form: inout CreateForm, refusingChanges: Bool = false) async throws(GatewayError) {
        while let event = try await next() {
            guard case .partHead(let part) = event else { continue }
            if part.name == "file" {
                throw GatewayError.invalidRequest("Only one file part may be sent.", param: "file")
            }
            let value = try await readField(named: part.name)
            let before = form
            try form.addField(name: part.name, value: value)
            if refusingChanges, form != before {
                throw GatewayError.invalidRequest(
                    "The field '\(part.name)' came after the file part; send every field before the file.",
                    param: part.name
                )
            }
        }
    }

    private func nextChunk() async throws(GatewayError) -> ByteBuffer? {
        do {
            return try await source.next()
        } catch let error as GatewayError {
            throw error
        } catch {
            throw GatewayError(.invalidRequest, "The request body ended early.", underlying: "\(error)")
        }
    }
}
