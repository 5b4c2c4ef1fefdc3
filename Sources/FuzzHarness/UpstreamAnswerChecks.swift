import FilegateCore
import FilegateDialects
import NIOCore

/// The decoders of an upstream's whole answers (`Dialect+Decode`, `JSONValue`), with properties checked on any input.
enum UpstreamAnswerChecks {
    /// One dialect of each error shape and vocabulary: what filegate renders to clients in.
    static let dialects: [Dialect] = [
        .openAI, .azureV1(.v1), .azureLegacy(LegacyAPIVersion.oldest),
        LegacyAPIVersion("2024-10-21").map(Dialect.azureLegacy) ?? .openAI,
    ]

    /// Statuses an error body may come with; the input picks one by its length.
    static let errorStatuses = [400, 401, 404, 413, 429, 500, 502, 503]

    /// Reads the input as every kind of answer. Then: JSON filegate writes is JSON; a decoded file, list, deletion or
    /// error renders as JSON in every dialect; a file or list rendered by Azure v1 (canonical words) decodes to the
    /// same value; a decoded error, rendered, decodes to the same message and field.
    static func check(_ bytes: [UInt8]) throws(InvariantViolation) {
        let buffer = ByteBuffer(bytes: bytes)
        if let value = JSONValue.parse(buffer), JSONValue.parse(value.buffer) == nil {
            throw InvariantViolation("JSONValue written", String(buffer: value.buffer))
        }
        let reader = Dialect.openAI
        if let file = try? reader.decodeFile(buffer) {
            for dialect in dialects {
                try DialectRequestChecks.expectJSONBody(dialect.renderFile(file), "file rendered")
            }
            let again = Dialect.azureV1(.v1).renderFile(file).body.flatMap { try? reader.decodeFile($0) }
            try InvariantViolation.expectEqual(again, file, "file rendered and read back")
        }
        if let list = try? reader.decodeList(buffer) {
            for dialect in dialects {
                try DialectRequestChecks.expectJSONBody(dialect.renderList(list), "list rendered")
            }
            let again = Dialect.azureV1(.v1).renderList(list).body.flatMap { try? reader.decodeList($0) }
            try InvariantViolation.expectEqual(again, list, "list rendered and read back")
        }
        for id in [FileID(rawValue: "file-fuzz"), nil] {
            guard let deletion = try? reader.decodeDeletion(buffer, id: id) else { continue }
            for dialect in dialects where dialect.renderDeletion(deletion).body != nil {
                try DialectRequestChecks.expectJSONBody(dialect.renderDeletion(deletion), "deletion rendered")
            }
        }
        let status = errorStatuses[bytes.count % errorStatuses.count]
        let error = reader.decodeError(status: status, body: bytes.isEmpty ? nil : buffer)
        try InvariantViolation.expectEqual(error.status, status, "error keeps the upstream's status")
        for dialect in dialects {
            let rendered = dialect.renderError(error)
            try DialectRequestChecks.expectJSONBody(rendered, "error rendered")
            let again = dialect.decodeError(status: status, body: rendered.body)
            try InvariantViolation.expectEqual(
                [again.message, again.param],
                [error.message, error.param],
                "error rendered and read back"
            )
        }
    }
}
