import CFilegateCurl

/// One curl easy handle (`CURL *`): the options and state of one transfer.
///
/// Thin and thread-confined: only the curl thread that owns the multi handle calls it (libcurl's rule, and
/// DESIGN.md "libcurl, the outbound side"). It owns the header list and the error buffer it hands to curl, and
/// frees them after `curl_easy_cleanup`, so curl never points at freed memory.
final class EasyHandle {
    /// The `CURL *`; `CURL` is `void` in C, so Swift sees a raw pointer.
    let rawValue: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>

    init() throws(CurlError) {
        guard let handle = curl_easy_init() else {
            throw CurlError(.easy(.outOfMemory), detail: "curl_easy_init returned NULL")
        }
        rawValue = handle
        errorBuffer = .allocate(capacity: Int(fg_CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(fg_CURL_ERROR_SIZE))
        try check(fg_curl_easy_setopt_ptr(rawValue, CURLOPT_ERRORBUFFER, errorBuffer))
    }

    deinit {
        curl_easy_cleanup(rawValue)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    /// Clears every option for the next transfer (`curl_easy_reset`), keeping what curl allocated for the last one;
    /// the error buffer stays set.
    /// - SeeAlso: https://curl.se/libcurl/c/curl_easy_reset.html
    func reset() throws(CurlError) {
        curl_easy_reset(rawValue)
        curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer[0] = 0
        try check(fg_curl_easy_setopt_ptr(rawValue, CURLOPT_ERRORBUFFER, errorBuffer))
    }

    /// What curl wrote into the error buffer for the last failure, or an empty string.
    var errorText: String {
        String(cString: errorBuffer)
    }

    /// Throws a `CurlError` carrying the error buffer's text when `code` is not `CURLE_OK`.
    func check(_ code: CURLcode) throws(CurlError) {
        guard code != CURLE_OK else { return }
        throw CurlError(.easy(CurlCode(code)), detail: errorText)
    }

    // MARK: - Behaviour

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_NOSIGNAL.html
    func set(noSignal: Bool) throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_NOSIGNAL, noSignal ? 1 : 0))
    }

    /// HTTP/1.1 only: over HTTP/2 curl 7.88 keeps buffering a paused stream up to its window (DESIGN.md).
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_HTTP_VERSION.html
    func setHTTP11() throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_HTTP_VERSION, fg_CURL_HTTP_VERSION_1_1))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_PROTOCOLS_STR.html
    func set(protocols: String) throws(CurlError) {
        try check(fg_curl_easy_setopt_string(rawValue, CURLOPT_PROTOCOLS_STR, protocols))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_REDIR_PROTOCOLS_STR.html
    func set(redirectProtocols: String) throws(CurlError) {
        try check(fg_curl_easy_setopt_string(rawValue, CURLOPT_REDIR_PROTOCOLS_STR, redirectProtocols))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_FOLLOWLOCATION.html
    func set(followLocation: Bool) throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_FOLLOWLOCATION, followLocation ? 1 : 0))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_PRIVATE.html
    func set(privateData: UnsafeMutableRawPointer) throws(CurlError) {
        try check(fg_curl_easy_setopt_ptr(rawValue, CURLOPT_PRIVATE, privateData))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_SHARE.html
    func set(share: ShareHandle) throws(CurlError) {
        try check(fg_curl_easy_setopt_share(rawValue, share.rawValue))
    }

    // MARK: - Connection

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_CONNECTTIMEOUT_MS.html
    func set(connectTimeout: Duration) throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout.wholeMilliseconds))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_CAINFO.html
    func set(caFile: String) throws(CurlError) {
        try check(fg_curl_easy_setopt_string(rawValue, CURLOPT_CAINFO, caFile))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_BUFFERSIZE.html
    func set(receiveBufferSize: Int) throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_BUFFERSIZE, receiveBufferSize))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_UPLOAD_BUFFERSIZE.html
    func set(uploadBufferSize: Int) throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_UPLOAD_BUFFERSIZE, uploadBufferSize))
    }

    // MARK: - Request

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_URL.html
    func set(url: String) throws(CurlError) {
        try check(fg_curl_easy_setopt_string(rawValue, CURLOPT_URL, url))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_HTTPGET.html
    func setHTTPGet() throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_HTTPGET, 1))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_NOBODY.html
    func set(noBody: Bool) throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_NOBODY, noBody ? 1 : 0))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_CUSTOMREQUEST.html
    func set(customRequest: String) throws(CurlError) {
        try check(fg_curl_easy_setopt_string(rawValue, CURLOPT_CUSTOMREQUEST, customRequest))
    }

    /// Sends a body of exactly `uploadSize` bytes from the read callback, with that `Content-Length`.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_UPLOAD.html
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_INFILESIZE_LARGE.html
    func set(uploadSize: Int64) throws(CurlError) {
        try check(fg_curl_easy_setopt_long(rawValue, CURLOPT_UPLOAD, 1))
        try check(fg_curl_easy_setopt_off_t(rawValue, CURLOPT_INFILESIZE_LARGE, curl_off_t(uploadSize)))
    }

    /// Replaces the request's header fields; each line is `Name: value`, or `Name:` to remove one curl adds.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_HTTPHEADER.html
    func set(headerLines: [String]) throws(CurlError) {
        var list: UnsafeMutablePointer<curl_slist>?
        for line in headerLines {
            guard let appended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw CurlError(.easy(.outOfMemory), detail: "curl_slist_append returned NULL")
            }
            list = appended
        }
        try check(fg_curl_easy_setopt_slist(rawValue, CURLOPT_HTTPHEADER, list))
        curl_slist_free_all(headerList)
        headerList = list
    }

    // MARK: - Callbacks

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_WRITEFUNCTION.html
    func set(writeFunction: curl_write_callback, userData: UnsafeMutableRawPointer) throws(CurlError) {
        try check(fg_curl_easy_setopt_write_function(rawValue, CURLOPT_WRITEFUNCTION, writeFunction))
        try check(fg_curl_easy_setopt_ptr(rawValue, CURLOPT_WRITEDATA, userData))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_HEADERFUNCTION.html
    func set(headerFunction: curl_write_callback, userData: UnsafeMutableRawPointer) throws(CurlError) {
        try check(fg_curl_easy_setopt_write_function(rawValue, CURLOPT_HEADERFUNCTION, headerFunction))
        try check(fg_curl_easy_setopt_ptr(rawValue, CURLOPT_HEADERDATA, userData))
    }

    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_READFUNCTION.html
    func set(readFunction: curl_read_callback, userData: UnsafeMutableRawPointer) throws(CurlError) {
        try check(fg_curl_easy_setopt_read_function(rawValue, readFunction))
        try check(fg_curl_easy_setopt_ptr(rawValue, CURLOPT_READDATA, userData))
    }

    /// Called once a connection is ready, right before the request goes out (curl 7.80 and later).
    /// - SeeAlso: https://curl.se/libcurl/c/CURLOPT_PREREQFUNCTION.html
    func set(prerequestFunction: curl_prereq_callback, userData: UnsafeMutableRawPointer) throws(CurlError) {
        try check(fg_curl_easy_setopt_prereq_function(rawValue, prerequestFunction))
        try check(fg_curl_easy_setopt_ptr(rawValue, CURLOPT_PREREQDATA, userData))
    }

    // MARK: - While running

    /// Sets the pause state of both directions: `fg_CURLPAUSE_CONT` resumes both, `fg_CURLPAUSE_SEND` keeps only
    /// sending paused. curl may call the write or read callback before this returns.
    /// - SeeAlso: https://curl.se/libcurl/c/curl_easy_pause.html
    func pause(_ bitmask: Int32) throws(CurlError) {
        try check(curl_easy_pause(rawValue, bitmask))
    }

    /// The last response's status code, as curl parsed it.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLINFO_RESPONSE_CODE.html
    func responseCode() throws(CurlError) -> Int {
        var code = 0
        try check(fg_curl_easy_getinfo_long(rawValue, CURLINFO_RESPONSE_CODE, &code))
        return code
    }

    /// The pointer set with `set(privateData:)`, read from a bare `CURL *` such as a `CURLMSG_DONE` names.
    /// - SeeAlso: https://curl.se/libcurl/c/CURLINFO_PRIVATE.html
    static func privateData(of handle: UnsafeMutableRawPointer) -> UnsafeMutableRawPointer? {
        var pointer: UnsafeMutableRawPointer?
        guard fg_curl_easy_getinfo_ptr(handle, CURLINFO_PRIVATE, &pointer) == CURLE_OK else { return nil }
        return pointer
    }
}

@available(*, unavailable)
extension EasyHandle: Sendable {}

extension Duration {
    /// The duration in whole milliseconds, rounded down (curl's `_MS` options and timer callback use them).
    var wholeMilliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
