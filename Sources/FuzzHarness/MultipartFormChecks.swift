import FilegateCore
import FilegateDialects
import FilegateWire
import NIOCore

/// A create's multipart form as the gateway reads it and rewrites it for an upstream, with properties checked on any
/// input.
///
/// An input is a `Content-Type` value, a LF, then the body.
enum MultipartFormChecks {
    /// The boundary filegate's rewrite uses (a random one in production, fixed here so runs repeat).
    static let rewriteBoundary = "filegate-00112233445566778899aabbccddeeff"

    /// Small limits so short inputs reach the part-header and part-count refusals.
    static let smallLimits = MultipartLimits(maxPartHeaderBytes: 128, maxParts: 3)

    /// Reads the boundary and the body; then, under default and small limits, fed whole or split as `Cuts.splits`
    /// splits, the parser reads the same; a form the gateway would accept, rewritten by `MultipartWriter`, has the
    /// length `contentLength` announces and reads back as the same fields and file bytes; and when the body ends
    /// with the file part and the close delimiter as curl and the SDK send it, `FilePartLength` predicts the file's
    /// length exactly.
    static func check(_ bytes: [UInt8]) throws(InvariantViolation) {
        let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
        let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
        let boundary: String
        do throws(GatewayError) {
            boundary = try MultipartParser.boundary(fromContentType: contentType)
        } catch {
            return
        }
        var whole = MultipartTrace()
        for limits in [MultipartLimits(), smallLimits] {
            let trace = MultipartTrace.parse([body[...]], boundary: boundary, limits: limits)
            for plan in Cuts.splits(of: body) {
                let again = MultipartTrace.parse(plan, boundary: boundary, limits: limits)
                try InvariantViolation.expectEqual(again, trace, "split feed")
            }
            if limits == MultipartLimits() { whole = trace }
        }
        guard whole.error == nil, let form = Form(whole) else { return }
        try checkPrediction(form, body: body, boundary: boundary)
        try checkRewrite(form)
    }

    /// What the gateway takes from a form: the checked fields and the file part, when the form is one it accepts.
    private struct Form {
        var newFile: NewFile
        var fileContentType: String?
        var file: [UInt8]
        /// Body bytes before the file's data, and after its closing delimiter.
        var fileStart: Int
        var fileDelimiterEnd: Int
        /// Whether the close delimiter follows the file part directly.
        var fileIsLast: Bool

        /// Reads the events as `CreateFileRequest` does: fields before the file part go into a `CreateForm` (fields
        /// after it are ignored here); nil when the form has no file part or `CreateForm` refuses it.
        init?(_ trace: MultipartTrace) {
            let events = trace.events
            func event(_ index: Int) -> MultipartTrace.Event? { events.indices.contains(index) ? events[index] : nil }
            var form = CreateForm()
            var index = events.startIndex
            while let current = event(index) {
                index += 1
                guard case .partHead(let head, let consumed) = current else { continue }
                var data: [UInt8] = []
                if case .partBody(let bytes)? = event(index) {
                    data = bytes
                    index += 1
                }
                guard case .partEnd(let delimiterEnd)? = event(index) else { return nil }
                index += 1
                if head.name == MultipartWriter.fileFieldName {
                    do throws(GatewayError) {
                        newFile = try form.newFile(filename: head.filename)
                    } catch {
                        return nil
                    }
                    fileContentType = head.contentType
                    file = data
                    fileStart = consumed
                    fileDelimiterEnd = delimiterEnd
                    fileIsLast = event(index) == .end
                    return
                }
                guard data.count <= 4096 else { return nil }
                do throws(GatewayError) {
                    try form.addField(name: head.name, value: String(decoding: data, as: UTF8.self))
                } catch {
                    return nil
                }
            }
            return nil
        }
    }

    /// `FilePartLength.predict` is exact for a body that ends `CRLF --boundary-- CRLF` right after the file's data.
    private static func checkPrediction(_ form: Form, body: [UInt8], boundary: String) throws(InvariantViolation) {
        let predicted = FilePartLength.predict(
            declaredLength: Int64(body.count),
            bytesBeforeFileData: Int64(form.fileStart),
            boundary: boundary
        )
        let closing = Array("--\r\n".utf8)
        guard form.fileIsLast, body.count == form.fileDelimiterEnd + closing.count,
            body[form.fileDelimiterEnd...].elementsEqual(closing)
        else { return }
        try InvariantViolation.expectEqual(predicted, Int64(form.file.count), "FilePartLength prediction")
    }

    /// The rewritten body has the announced length and reads back as the same fields and file.
    private static func checkRewrite(_ form: Form) throws(InvariantViolation) {
        let writer = MultipartWriter(boundary: rewriteBoundary)
        var fields: [(name: String, value: String)] = [("purpose", form.newFile.purpose.rawValue)]
        if let seconds = form.newFile.expiresAfterSeconds {
            fields += [("expires_after[anchor]", "created_at"), ("expires_after[seconds]", String(seconds))]
        }
        var rewritten = writer.prefix(
            fields: fields,
            filename: form.newFile.filename,
            fileContentType: form.fileContentType
        )
        rewritten.writeBytes(form.file)
        rewritten.writeImmutableBuffer(writer.suffix())
        let announced = writer.contentLength(
            fields: fields,
            filename: form.newFile.filename,
            fileContentType: form.fileContentType,
            fileLength: Int64(form.file.count)
        )
        try InvariantViolation.expectEqual(Int64(rewritten.readableBytes), announced, "rewrite's Content-Length")
        // A file holding the rewrite's own delimiter cannot come through; its boundary is random in production.
        let delimiter = Array("\r\n--\(rewriteBoundary)".utf8)
        guard !form.file.contains(delimiter) else { return }
        let trace = MultipartTrace.parse([Array(rewritten.readableBytesView)[...]], boundary: rewriteBoundary)
        var readBack: [(String, [UInt8])] = []
        for (index, event) in trace.events.enumerated() {
            guard case .partHead(let head, _) = event else { continue }
            // Control bytes in a filename are written as %XX; any other filename must come back as it was.
            if head.name == MultipartWriter.fileFieldName,
                !form.newFile.filename.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
            {
                try InvariantViolation.expectEqual(head.filename, form.newFile.filename, "rewrite's filename")
            }
            let data: [UInt8] =
                if index + 1 < trace.events.count, case .partBody(let bytes) = trace.events[index + 1] { bytes } else {
                    []
                }
            readBack.append((head.name, data))
        }
        let expected = fields.map { ($0.name, Array($0.value.utf8)) } + [(MultipartWriter.fileFieldName, form.file)]
        guard trace.error == nil, readBack.elementsEqual(expected, by: { $0.0 == $1.0 && $0.1 == $1.1 }) else {
            throw InvariantViolation("rewrite read back", "\(trace), expected \(expected.map(\.0))")
        }
    }
}
