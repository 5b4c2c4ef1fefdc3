public import FilegateCore

/// The layout of a dialect's error body, and with it the table from canonical code to body fields.
public enum ErrorShape: Sendable, Hashable, CaseIterable {
    /// `{"error": {"message", "type", "param", "code"}}`.
    case openAI
    /// `{"error": {"code", "message", "param", "type", "inner_error"}}`.
    case azureV1
    /// `{"error": {"code", "message", "target", "details", "innererror"}}`, camelCase codes.
    case azureLegacy

    /// This shape's row of DESIGN.md's "Errors" table for `code`.
    ///
    /// Azure v1 shares OpenAI's column of that table; only the layout of its body differs.
    public func row(for code: GatewayError.Code) -> ErrorRow {
        switch self {
        case .openAI, .azureV1: .openAI(code)
        case .azureLegacy: .azureLegacy(code)
        }
    }
}

/// What an error body says besides the message and the field at fault: `type` (OpenAI and v1 only) and `code`.
public struct ErrorRow: Sendable, Hashable {
    public var type: String?
    public var code: String?

    public init(type: String?, code: String?) {
        self.type = type
        self.code = code
    }
}
