public import FilegateCore
import FilegateWire

extension DialectRoot {
    /// The methods of RFC 9110 §9 and RFC 5789 (PATCH): any other method is one no server here implements.
    static let knownMethods: Set<String> = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
    ]
    /// Methods filegate refuses wherever they point (issue 5 point 1): TRACE would echo a key back.
    static let refusedMethods: Set<String> = ["CONNECT", "TRACE"]

    /// The error for a request whose path falls under no root: 405 for CONNECT and TRACE, 501 for a method no
    /// HTTP specification defines (RFC 9110 §9.1), else 404.
    public static func unmatched(method: String) -> GatewayError {
        if refusedMethods.contains(method) {
            let servedMethods = WireError.servedMethods
            return GatewayError(
                .methodNotAllowed,
                "Method \(method) is not allowed here. Allowed: \(servedMethods.joined(separator: ", ")).",
                allowedMethods: servedMethods
            )
        }
        guard knownMethods.contains(method) else {
            return GatewayError(.notImplemented, "Method \(method) is not implemented.")
        }
        return .notFound("Unknown path: no Files API is served here.")
    }
}
