import CFilegateCurl

/// A curl share handle (`CURLSH *`) that lets every easy handle of the curl thread reuse TLS sessions and DNS.
///
/// The multi handle already shares connections; TLS session resumption needs this (DESIGN.md measured 499 of 500
/// sessions resumed with it, none without). Used by the curl thread only, so it needs no lock callbacks.
final class ShareHandle {
    /// The `CURLSH *`.
    let rawValue: UnsafeMutableRawPointer

    init() throws(CurlError) {
        guard let handle = curl_share_init() else {
            throw CurlError(.share(CURLSHE_NOMEM.rawValue), detail: "curl_share_init returned NULL")
        }
        rawValue = handle
        do {
            try share(CURL_LOCK_DATA_SSL_SESSION)
            try share(CURL_LOCK_DATA_DNS)
        } catch {
            curl_share_cleanup(handle)
            throw error
        }
    }

    deinit {
        curl_share_cleanup(rawValue)
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLSHOPT_SHARE.html
    private func share(_ data: curl_lock_data) throws(CurlError) {
        let code = fg_curl_share_setopt_long(rawValue, CURLSHOPT_SHARE, Int(data.rawValue))
        guard code == CURLSHE_OK else { throw CurlError(.share(code.rawValue)) }
    }
}

@available(*, unavailable)
extension ShareHandle: Sendable {}
