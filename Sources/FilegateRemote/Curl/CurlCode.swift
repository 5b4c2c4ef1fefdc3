import CFilegateCurl

/// A libcurl easy-interface result (`CURLcode`), with the codes filegate tells apart named.
///
/// A typed value rather than the imported C enum, so results compare, print and match in `switch` with `~=`,
/// as GRDB's `ResultCode` does for SQLite.
struct CurlCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: UInt32

    init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    init(_ code: CURLcode) {
        self.rawValue = code.rawValue
    }

    static let ok = CurlCode(CURLE_OK)
    static let unsupportedProtocol = CurlCode(CURLE_UNSUPPORTED_PROTOCOL)
    static let urlMalformed = CurlCode(CURLE_URL_MALFORMAT)
    static let couldNotResolveProxy = CurlCode(CURLE_COULDNT_RESOLVE_PROXY)
    static let couldNotResolveHost = CurlCode(CURLE_COULDNT_RESOLVE_HOST)
    static let couldNotConnect = CurlCode(CURLE_COULDNT_CONNECT)
    static let weirdServerReply = CurlCode(CURLE_WEIRD_SERVER_REPLY)
    static let partialFile = CurlCode(CURLE_PARTIAL_FILE)
    static let writeError = CurlCode(CURLE_WRITE_ERROR)
    static let readError = CurlCode(CURLE_READ_ERROR)
    static let outOfMemory = CurlCode(CURLE_OUT_OF_MEMORY)
    static let operationTimedOut = CurlCode(CURLE_OPERATION_TIMEDOUT)
    static let abortedByCallback = CurlCode(CURLE_ABORTED_BY_CALLBACK)
    static let gotNothing = CurlCode(CURLE_GOT_NOTHING)
    static let sendError = CurlCode(CURLE_SEND_ERROR)
    static let recvError = CurlCode(CURLE_RECV_ERROR)
    static let sslConnectError = CurlCode(CURLE_SSL_CONNECT_ERROR)
    static let sslCertificateProblem = CurlCode(CURLE_SSL_CERTPROBLEM)
    static let sslCipher = CurlCode(CURLE_SSL_CIPHER)
    static let peerFailedVerification = CurlCode(CURLE_PEER_FAILED_VERIFICATION)
    static let sslCACertificateBadFile = CurlCode(CURLE_SSL_CACERT_BADFILE)
    static let sslCRLBadFile = CurlCode(CURLE_SSL_CRL_BADFILE)
    static let sslIssuerError = CurlCode(CURLE_SSL_ISSUER_ERROR)
    static let sslPinnedPublicKeyMismatch = CurlCode(CURLE_SSL_PINNEDPUBKEYNOTMATCH)
    static let sslInvalidCertificateStatus = CurlCode(CURLE_SSL_INVALIDCERTSTATUS)

    /// Codes that mean the upstream's TLS identity could not be established or verified.
    static let tlsFailures: Set<CurlCode> = [
        .sslConnectError, .sslCertificateProblem, .sslCipher, .peerFailedVerification, .sslCACertificateBadFile,
        .sslCRLBadFile, .sslIssuerError, .sslPinnedPublicKeyMismatch, .sslInvalidCertificateStatus,
    ]

    /// curl's own short text for the code (`curl_easy_strerror`), the same for every transfer.
    var description: String {
        "CURLE \(rawValue): " + String(cString: curl_easy_strerror(CURLcode(rawValue: rawValue)))
    }

    static func ~= (pattern: CurlCode, code: CurlCode) -> Bool {
        pattern == code
    }
}

/// A libcurl multi-interface result (`CURLMcode`).
struct CurlMultiCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    var rawValue: Int32

    init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    init(_ code: CURLMcode) {
        self.rawValue = code.rawValue
    }

    static let ok = CurlMultiCode(CURLM_OK)
    static let badHandle = CurlMultiCode(CURLM_BAD_HANDLE)
    static let badEasyHandle = CurlMultiCode(CURLM_BAD_EASY_HANDLE)
    static let outOfMemory = CurlMultiCode(CURLM_OUT_OF_MEMORY)
    static let badSocket = CurlMultiCode(CURLM_BAD_SOCKET)
    static let addedAlready = CurlMultiCode(CURLM_ADDED_ALREADY)
    static let recursiveAPICall = CurlMultiCode(CURLM_RECURSIVE_API_CALL)

    var description: String {
        "CURLM \(rawValue): " + String(cString: curl_multi_strerror(CURLMcode(rawValue: rawValue)))
    }

    static func ~= (pattern: CurlMultiCode, code: CurlMultiCode) -> Bool {
        pattern == code
    }
}
