public import FilegateCore

/// Why `RequestParser` refused a request; every one means "answer (when `gatewayError` is non-nil), then close".
///
/// Separate from `GatewayError` because the wire layer must say one thing the gateway cannot: HTTP/0.9 gets no
/// answer at all, since such a client cannot read a status line.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The refusal's class, which decides the status.
    public enum Kind: Hashable, Sendable {
        case badRequest
        case uriTooLong
        case headerFieldsTooLarge
        case httpVersionNotSupported
        /// A method no resource takes whatever its target (CONNECT): 405, naming the methods filegate serves.
        case methodNotAllowed
        /// A two-part request line (`GET /`): close without an answer.
        case http09
    }

    public var kind: Kind
    /// Client-safe text naming the fault.
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// The answer to send before closing, or nil to close silently.
    public var gatewayError: GatewayError? {
        switch kind {
        case .badRequest: GatewayError(.invalidRequest, reason)
        case .uriTooLong: GatewayError(.uriTooLong, reason)
        case .headerFieldsTooLarge: GatewayError(.headerFieldsTooLarge, reason)
        case .httpVersionNotSupported: GatewayError(.httpVersionNotSupported, reason)
        case .methodNotAllowed: GatewayError(.methodNotAllowed, reason, allowedMethods: Self.servedMethods)
        case .http09: nil
        }
    }

    public var description: String { "\(kind): \(reason)" }

    /// Every method some filegate route takes, for the `Allow` of a 405 that no route decided.
    public static let servedMethods = ["DELETE", "GET", "POST"]

    static func badRequest(_ reason: String) -> WireError { WireError(.badRequest, reason) }
}
