import CFilegateCurl

/// One curl multi handle (`CURLM *`): the transfers in flight and the connections curl keeps between them.
///
/// Thin and thread-confined like `EasyHandle`; the curl thread drives it with `curl_multi_socket_action` from its
/// epoll set, fed by the socket and timer callbacks set here.
final class MultiHandle {
    /// The `CURLM *`.
    let rawValue: UnsafeMutableRawPointer

    init() throws(CurlError) {
        guard let handle = curl_multi_init() else {
            throw CurlError(.multi(.outOfMemory), detail: "curl_multi_init returned NULL")
        }
        rawValue = handle
    }

    /// Every easy handle must have been removed before this runs (STYLE.md §5).
    deinit {
        curl_multi_cleanup(rawValue)
    }

    private func check(_ code: CURLMcode) throws(CurlError) {
        guard code != CURLM_OK else { return }
        throw CurlError(.multi(CurlMultiCode(code)))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLMOPT_SOCKETFUNCTION.html
    func set(socketFunction: curl_socket_callback, userData: UnsafeMutableRawPointer) throws(CurlError) {
        try check(fg_curl_multi_setopt_socket_function(rawValue, socketFunction))
        try check(fg_curl_multi_setopt_ptr(rawValue, CURLMOPT_SOCKETDATA, userData))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLMOPT_TIMERFUNCTION.html
    func set(timerFunction: curl_multi_timer_callback, userData: UnsafeMutableRawPointer) throws(CurlError) {
        try check(fg_curl_multi_setopt_timer_function(rawValue, timerFunction))
        try check(fg_curl_multi_setopt_ptr(rawValue, CURLMOPT_TIMERDATA, userData))
    }

    /// The size of curl's connection cache: the connections it keeps open, those in use included. Each time a
    /// transfer ends with the cache over this size, curl closes its oldest idle connection (often the one just
    /// freed). Without it the size follows the transfers in flight (4 per handle), so a quiet moment closes the
    /// connections the next burst needs.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLMOPT_MAXCONNECTS.html
    func set(maxConnects: Int) throws(CurlError) {
        try check(fg_curl_multi_setopt_long(rawValue, CURLMOPT_MAXCONNECTS, maxConnects))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/curl_multi_add_handle.html
    func add(_ easy: EasyHandle) throws(CurlError) {
        try check(curl_multi_add_handle(rawValue, easy.rawValue))
    }

    /// Takes a transfer out; curl reports no `CURLMSG_DONE` for it afterwards, done or not.
    /// - SeeAlso: https://curl.se/libcurl/c/curl_multi_remove_handle.html
    func remove(_ easy: EasyHandle) throws(CurlError) {
        try check(curl_multi_remove_handle(rawValue, easy.rawValue))
    }

    /// Lets curl act on `socket` (or on its timeout, for `fg_CURL_SOCKET_TIMEOUT`) with the events epoll saw.
    /// - SeeAlso: https://curl.se/libcurl/c/curl_multi_socket_action.html
    func socketAction(_ socket: curl_socket_t, events: Int32) throws(CurlError) {
        var running: Int32 = 0
        try check(curl_multi_socket_action(rawValue, socket, events, &running))
    }

    /// The next finished transfer: its `CURL *` and result, or nil when none is waiting.
    /// - SeeAlso: https://curl.se/libcurl/c/curl_multi_info_read.html
    func nextFinished() -> (easy: UnsafeMutableRawPointer, code: CurlCode)? {
        var waiting: Int32 = 0
        while let message = curl_multi_info_read(rawValue, &waiting) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            return (easy, CurlCode(fg_curl_msg_result(message)))
        }
        return nil
    }
}

@available(*, unavailable)
extension MultiHandle: Sendable {}
