import FilegateCore

extension ErrorRow {
    /// The dated column of DESIGN.md's "Errors" table: camelCase codes from the seed's ErrorCode list
    /// (seeds/azure-2024-06-01-files-get.txt), no `type`.
    ///
    /// Request-shape faults (bad fields, 405, 408, 413, 414, 416, 431, 501, 505) are `invalidPayload`; faults between
    /// filegate and an upstream are `serviceUnavailable`.
    static func azureLegacy(_ code: GatewayError.Code) -> ErrorRow {
        let word =
            switch code {
            case .invalidRequest, .unsupportedPurpose, .expiresAfterOutOfRange, .methodNotAllowed, .requestTimeout,
                .payloadTooLarge, .uriTooLong, .rangeNotSatisfiable, .headerFieldsTooLarge, .notImplemented,
                .httpVersionNotSupported:
                "invalidPayload"
            case .unauthorized: "unauthorized"
            case .forbidden: "forbidden"
            case .notFound: "notFound"
            case .tooManyRequests: "tooManyRequests"
            case .internalError: "internalFailure"
            case .upstreamUnreachable, .badGateway, .unavailable, .upstreamTimeout: "serviceUnavailable"
            }
        return ErrorRow(type: nil, code: word)
    }
}
