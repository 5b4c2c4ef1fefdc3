import FilegateCore

/// A failed curl call or transfer: which result, and curl's error-buffer text for the logs.
///
/// `gatewayError` is the one place a curl failure becomes what the client sees (DESIGN.md "Errors"): the text
/// curl wrote (host names, certificate subjects) goes to `underlying`, never into the client's message.
struct CurlError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What failed.
    enum Kind: Hashable, Sendable {
        /// An easy-interface call or a finished transfer.
        case easy(CurlCode)
        /// A multi-interface call.
        case multi(CurlMultiCode)
        /// A share-interface call (`CURLSHcode`).
        case share(UInt32)
        /// No response head arrived within the first-byte timeout, counted from the end of the request body.
        case firstByteTimeout(Duration)
        /// A system call of the curl thread (`epoll_create1`, `eventfd`, …) with its `errno`.
        case system(String, Int32)
    }

    var kind: Kind
    /// curl's error buffer for the transfer (`CURLOPT_ERRORBUFFER`), empty when curl wrote none.
    var detail: String

    init(_ kind: Kind, detail: String = "") {
        self.kind = kind
        self.detail = detail
    }

    var description: String {
        let what: String
        switch kind {
        case .easy(let code): what = code.description
        case .multi(let code): what = code.description
        case .share(let code): what = "CURLSHE \(code)"
        case .firstByteTimeout(let timeout): what = "no response head within \(timeout)"
        case .system(let call, let number): what = "\(call) failed with errno \(number)"
        }
        return detail.isEmpty ? what : "\(what): \(detail)"
    }

    /// The error the client sees, with this error's text kept in `underlying` for the logs.
    ///
    /// Refused or unresolvable → upstreamUnreachable (502); connect or first-byte timeout → upstreamTimeout (504);
    /// TLS verification → badGateway (502) with a clean message; anything else, a cut body included → badGateway.
    var gatewayError: GatewayError {
        let underlying = description
        switch kind {
        case .easy(.couldNotConnect), .easy(.couldNotResolveHost), .easy(.couldNotResolveProxy):
            return GatewayError(.upstreamUnreachable, "The upstream could not be reached.", underlying: underlying)
        case .easy(.operationTimedOut):
            return GatewayError(.upstreamTimeout, "The upstream did not answer in time.", underlying: underlying)
        case .firstByteTimeout:
            return GatewayError(.upstreamTimeout, "The upstream did not answer in time.", underlying: underlying)
        case .easy(let code) where CurlCode.tlsFailures.contains(code):
            return GatewayError(
                .badGateway,
                "A verified TLS connection to the upstream could not be established.",
                underlying: underlying
            )
        case .easy(.partialFile), .easy(.recvError):
            return GatewayError(.badGateway, "The upstream connection was cut.", underlying: underlying)
        case .easy, .multi, .share, .system:
            return GatewayError(.badGateway, "The upstream request failed.", underlying: underlying)
        }
    }
}
