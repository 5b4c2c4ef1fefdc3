public import NIOCore

/// Writes the `multipart/form-data` body filegate sends upstream for a create: text fields, then the file part.
///
/// DESIGN.md "Multipart": filegate never sends a chunked multipart upstream, so the body is the bytes of `prefix`,
/// the file's bytes and `suffix`, announced with `contentLength` before the first byte. A pure value (STYLE.md §4):
/// the boundary is passed in, made by `randomBoundary(using:)` at the caller.
public struct MultipartWriter: Sendable {
    /// The file part's field name, as every dialect's create takes it.
    public static let fileFieldName = "file"
    /// The file part's content type when the client gave none, or one that cannot go into a header.
    public static let defaultFileContentType = "application/octet-stream"

    /// The boundary, which must be 1 to 70 boundary characters (RFC 2046 §5.1.1) that no field value contains;
    /// `randomBoundary(using:)` makes one: 128 random bits a client cannot guess to put into a value.
    public let boundary: String

    public init(boundary: String) {
        self.boundary = boundary
    }

    /// `filegate-` and 32 lowercase hex digits (128 random bits).
    public static func randomBoundary(using generator: inout some RandomNumberGenerator) -> String {
        let high = UInt64.random(in: .min ... .max, using: &generator)
        let low = UInt64.random(in: .min ... .max, using: &generator)
        return "filegate-" + hex(high) + hex(low)
    }

    /// The request's `Content-Type`, naming the boundary.
    public var contentType: String {
        "multipart/form-data; boundary=\(boundary)"
    }

    /// Every field part, in order, and the file part's head: the bytes that go before the file's bytes.
    ///
    /// - Parameters:
    ///   - fields: text fields in the order they are sent; filegate sends `purpose`, then, when an expiry is sent,
    ///     `expires_after[anchor]` = `created_at` and `expires_after[seconds]` (DESIGN.md "expires_after").
    ///   - filename: the file part's `filename`, quoted with `"` and `\` escaped and control bytes written as `%XX`.
    ///   - fileContentType: the file part's `Content-Type`; nil, or a value with control bytes, is
    ///     `application/octet-stream`.
    public func prefix(
        fields: [(name: String, value: String)],
        filename: String,
        fileContentType: String?
    ) -> ByteBuffer {
        ByteBuffer(string: prefixText(fields: fields, filename: filename, fileContentType: fileContentType))
    }

    /// What follows the file's bytes: the delimiter that ends the file part, the close marker and a CRLF.
    public func suffix() -> ByteBuffer {
        ByteBuffer(string: suffixText)
    }

    /// The exact length of the whole body: `prefix`, `fileLength` bytes of file and `suffix`.
    public func contentLength(
        fields: [(name: String, value: String)],
        filename: String,
        fileContentType: String?,
        fileLength: Int64
    ) -> Int64 {
        let prefix = prefixText(fields: fields, filename: filename, fileContentType: fileContentType)
        return Int64(prefix.utf8.count) + fileLength + Int64(suffixText.utf8.count)
    }

    private var suffixText: String {
        "\r\n--\(boundary)--\r\n"
    }

    private func prefixText(
        fields: [(name: String, value: String)],
        filename: String,
        fileContentType: String?
    )
        -> String
    {
        var text = ""
        for field in fields {
            text += "--\(boundary)\r\n"
            text += "Content-Disposition: form-data; name=\"\(Self.quoted(field.name))\"\r\n\r\n"
            text += field.value + "\r\n"
        }
        let contentType =
            fileContentType.flatMap { $0.utf8.contains(where: ASCII.isForbiddenInValue) ? nil : $0 }
            ?? Self.defaultFileContentType
        text += "--\(boundary)\r\n"
        text += "Content-Disposition: form-data; name=\"\(Self.fileFieldName)\"; "
        text += "filename=\"\(Self.quoted(filename))\"\r\n"
        text += "Content-Type: \(contentType)\r\n\r\n"
        return text
    }

    /// The inside of a quoted-string (RFC 9110 §5.6.4): `"` and `\` escaped with `\`; a control byte, which no
    /// header line may hold, written as `%XX` as browsers do for CR and LF (WHATWG HTML, multipart/form-data).
    static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case ASCII.quote, ASCII.backslash:
                bytes += [ASCII.backslash, byte]
            case _ where ASCII.isForbiddenInValue(byte):
                bytes += Array("%\(hex(byte, uppercase: true))".utf8)
            default:
                bytes.append(byte)
            }
        }
        return ASCII.string(bytes)
    }

    /// `value` in hex, two digits per byte with leading zeros: lowercase in boundaries, uppercase in `%XX`
    /// (RFC 3986 §2.1).
    private static func hex<Value: FixedWidthInteger & UnsignedInteger>(
        _ value: Value,
        uppercase: Bool = false
    )
        -> String
    {
        let digits = String(value, radix: 16, uppercase: uppercase)
        return String(repeating: "0", count: Value.bitWidth / 4 - digits.count) + digits
    }
}

/// Predicts the length of a client's file part from its declared `Content-Length`, so a create can stream upstream
/// with an exact length before the whole client body has been read.
///
/// When the file part's head has been read, everything left of the body is the file's bytes and, if the file part
/// is the last part, the close delimiter. The prediction assumes the body ends `CRLF --boundary-- CRLF` with no
/// epilogue: curl 7.88 and the openai SDK (httpx) end it so (Tests/FilegateWireTests/Fixtures/), as do browsers,
/// Go's `mime/multipart` and Python's `urllib3`. RFC 2046 makes the final CRLF optional; a client that leaves it out
/// is rare, and its file is predicted 2 bytes short, caught as any wrong prediction is: the caller must check the
/// file part's real length against the prediction when the part ends and fail the upload when they differ (a field
/// after the file, another close, an epilogue). The upstream then gets a body shorter or longer than announced,
/// which curl refuses to finish, so nothing wrong is stored. A file part that does not come last is a spool case.
public enum FilePartLength {
    /// The file part's data length, or nil when the numbers cannot describe a body with the file part last.
    ///
    /// - Parameters:
    ///   - declaredLength: the client body's `Content-Length`.
    ///   - bytesBeforeFileData: body bytes up to and including the blank line that ends the file part's head
    ///     (preamble, earlier parts and the file part's delimiter and headers).
    ///   - boundary: the client's boundary.
    public static func predict(declaredLength: Int64, bytesBeforeFileData: Int64, boundary: String) -> Int64? {
        guard declaredLength >= 0, bytesBeforeFileData >= 0 else { return nil }
        let closeLength = Int64(closeDelimiter(boundary: boundary).utf8.count)
        let length = declaredLength - bytesBeforeFileData - closeLength
        return length >= 0 ? length : nil
    }

    /// What follows the last part's data in the body this type assumes.
    static func closeDelimiter(boundary: String) -> String {
        "\r\n--\(boundary)--\r\n"
    }
}
