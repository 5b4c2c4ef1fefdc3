/// The one error type that crosses filegate's layers (DESIGN.md "Errors").
///
/// `code` decides the status and each dialect's error body; `message` is safe to show a client; `underlying` is
/// for logs only. An upstream's error keeps the upstream's status in `upstreamStatus`.
public struct GatewayError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Canonical error codes; raw values are stable log and metric labels.
    public enum Code: String, Hashable, Sendable, CaseIterable {
        case invalidRequest
        case unsupportedPurpose
        case expiresAfterOutOfRange
        case unauthorized
        case forbidden
        case notFound
        case methodNotAllowed
        /// The client took too long over a request head or body (issue 5 point 3).
        case requestTimeout
        case payloadTooLarge
        case uriTooLong
        /// A `Range` that starts past the file's end (`ByteRange.unsatisfiable`).
        case rangeNotSatisfiable
        case headerFieldsTooLarge
        case tooManyRequests
        case internalError
        case notImplemented
        case upstreamUnreachable
        case badGateway
        case unavailable
        case upstreamTimeout
        case httpVersionNotSupported

        /// The HTTP status an error with this code answers with, unless an upstream's status is kept.
        public var status: Int {
            switch self {
            case .invalidRequest, .unsupportedPurpose, .expiresAfterOutOfRange: 400
            case .unauthorized: 401
            case .forbidden: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .requestTimeout: 408
            case .payloadTooLarge: 413
            case .uriTooLong: 414
            case .rangeNotSatisfiable: 416
            case .headerFieldsTooLarge: 431
            case .tooManyRequests: 429
            case .internalError: 500
            case .notImplemented: 501
            case .upstreamUnreachable, .badGateway: 502
            case .unavailable: 503
            case .upstreamTimeout: 504
            case .httpVersionNotSupported: 505
            }
        }
    }

    public var code: Code
    /// Client-safe text: never a key, a path on disk or an upstream host's internals.
    public var message: String
    /// The request field at fault (`purpose`, `file`, `limit`, …) when there is one.
    public var param: String?
    /// Methods a 405 names in `Allow`.
    public var allowedMethods: [String]
    /// Seconds for `Retry-After` on 429 and 503.
    public var retryAfterSeconds: Int?
    /// An upstream's own status, kept instead of `code.status`.
    public var upstreamStatus: Int?
    /// Detail for logs only.
    public var underlying: String?

    public init(
        _ code: Code,
        _ message: String,
        param: String? = nil,
        allowedMethods: [String] = [],
        retryAfterSeconds: Int? = nil,
        upstreamStatus: Int? = nil,
        underlying: String? = nil
    ) {
        self.code = code
        self.message = message
        self.param = param
        self.allowedMethods = allowedMethods
        self.retryAfterSeconds = retryAfterSeconds
        self.upstreamStatus = upstreamStatus
        self.underlying = underlying
    }

    /// The status the client sees.
    public var status: Int { upstreamStatus ?? code.status }

    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}

extension GatewayError {
    public static func notFound(_ what: String = "No such file.") -> GatewayError {
        GatewayError(.notFound, what)
    }

    public static func invalidRequest(_ message: String, param: String? = nil) -> GatewayError {
        GatewayError(.invalidRequest, message, param: param)
    }

    public static func internalError(_ underlying: String) -> GatewayError {
        GatewayError(.internalError, "The server had an error while processing your request.", underlying: underlying)
    }
}
