public import FilegateCore

/// The text fields of a create's multipart form, collected as the form streams by; the same in every dialect.
///
/// Checks syntax only (DESIGN.md "expires_after", "Purposes"): whether the backend takes the purpose or the expiry
/// is the backend's question. Fields it does not know are ignored, as the APIs do.
public struct CreateForm: Sendable, Hashable {
    private var purpose: String?
    private var expiresAfterSeconds: Int64?
    private var anchorGiven = false

    public init() {}

    /// Whether `purpose` has arrived: then a file part can stream straight to the backend (DESIGN.md "Multipart").
    public var hasPurpose: Bool { purpose != nil }

    /// Takes one text field; a known field given twice (in either spelling) or with a bad value is a 400.
    public mutating func addField(name: String, value: String) throws(GatewayError) {
        switch name {
        case "purpose":
            guard purpose == nil else { throw Self.givenTwice("purpose") }
            purpose = value
        case "expires_after[seconds]", "expires_after.seconds":
            guard expiresAfterSeconds == nil else { throw Self.givenTwice("expires_after[seconds]") }
            guard let seconds = Int64(value) else {
                throw .invalidRequest("expires_after[seconds] must be an integer.", param: "expires_after[seconds]")
            }
            expiresAfterSeconds = seconds
        case "expires_after[anchor]", "expires_after.anchor":
            guard !anchorGiven else { throw Self.givenTwice("expires_after[anchor]") }
            guard value == "created_at" else {
                throw .invalidRequest("expires_after[anchor] must be 'created_at'.", param: "expires_after[anchor]")
            }
            anchorGiven = true
        default:
            return
        }
    }

    /// The checked fields as a `NewFile`; `filename` is the file part's, `"file"` when it has none.
    public func newFile(filename: String?) throws(GatewayError) -> NewFile {
        guard let purpose else {
            throw .invalidRequest("Missing required parameter: 'purpose'.", param: "purpose")
        }
        let word = Purpose(rawValue: purpose)
        guard Purpose.creatable.contains(word) else {
            throw .invalidRequest(
                "'\(purpose)' is not a supported purpose. Supported purposes: \(Purpose.creatable.listed).",
                param: "purpose"
            )
        }
        let name = filename.flatMap { $0.isEmpty ? nil : $0 } ?? "file"
        return NewFile(filename: name, purpose: word, expiresAfterSeconds: expiresAfterSeconds)
    }

    /// The error for a form that ended without a `file` part.
    public static var missingFileError: GatewayError {
        .invalidRequest("Missing required parameter: 'file'.", param: "file")
    }

    private static func givenTwice(_ field: String) -> GatewayError {
        .invalidRequest("The field '\(field)' is given more than once.", param: field)
    }
}
