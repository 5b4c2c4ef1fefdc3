import CFilegateCurl
import FilegateCore
import FilegateWire
import NIOCore

/// A transfer on the curl thread: its easy handle, the head being collected, the pause flags and the first-byte
/// deadline.
///
/// Confined to the curl thread like the handles. Its address is curl's context for every callback and
/// `CURLINFO_PRIVATE`, retained (`Unmanaged.passRetained`) from `curl_multi_add_handle` until after
/// `curl_multi_remove_handle`, so curl never calls back into freed memory (corelibs' `passUnretained(self)`
/// crashed exactly there: swift-corelibs-foundation #5203).
final class AttachedTransfer {
    /// curl hands the write callback at most 16 KiB (`CURL_MAX_WRITE_SIZE`) whatever its receive buffer, so the
    /// bytes of one round of callbacks are gathered into a batch of up to this size and handed over at once: a
    /// 1 GiB download is some 2,000 handovers and client writes instead of 65,000. From 256 KiB, with the queues'
    /// watermarks doubled alongside, filegate's CPU per GiB downloaded went from 1.24 to 1.06 s (`make bench-proxy`).
    static let receiveBatchBytes = 512 * 1024

    let transfer: Transfer
    let easy: EasyHandle
    /// The reactor that flushes this transfer's batch once curl's round of callbacks is over.
    private unowned let reactor: CurlReactor
    /// Response-body bytes admitted and gathered in this round, not yet handed to the transfer.
    private var receivedBatch = ByteBuffer()
    /// Whether the easy handle is in the multi handle; a late resume or cancel checks it first.
    var inMultiHandle = false
    /// Whether the write callback answered `CURL_WRITEFUNC_PAUSE` and no `curl_easy_pause` resumed it since.
    private(set) var receivePaused = false
    /// Whether the read callback answered `CURL_READFUNC_PAUSE` and no `curl_easy_pause` resumed it since.
    private(set) var sendPaused = false
    /// When the transfer fails with a first-byte timeout, unless a byte of the answer arrives first.
    private(set) var firstByteDeadline: MonotonicInstant?
    private var answerStarted = false
    /// Request-body bytes handed to curl so far; curl may stop asking once it has them all, without a last read.
    private var bytesSent: Int64 = 0
    private var headDelivered = false
    private var head = ResponseHeadCollector()

    init(transfer: Transfer, reactor: CurlReactor, easy: EasyHandle) {
        self.transfer = transfer
        self.reactor = reactor
        self.easy = easy
    }

    /// Whether the easy handle keeps curl's default buffer sizes, so that it may serve another transfer; set where
    /// `configure` enlarges them.
    private(set) var usesDefaultBuffers = true

    /// Configures the easy handle for `transfer.request`; the one place every option is set (STYLE.md §5).
    ///
    /// A body is sent with `CURLOPT_UPLOAD` and `CURLOPT_INFILESIZE_LARGE`, the method named by
    /// `CURLOPT_CUSTOMREQUEST`: one path for POST and PUT alike, an exact `Content-Length`, never chunked, and
    /// no `Content-Type` curl would add for a form POST. `context` is the retained pointer to `self`.
    func configure(context: UnsafeMutableRawPointer, share: ShareHandle) throws(CurlError) {
        let request = transfer.request
        try easy.set(noSignal: true)
        try easy.setHTTP11()
        try easy.set(protocols: "http,https")
        try easy.set(redirectProtocols: "http,https")
        try easy.set(followLocation: false)
        try easy.set(privateData: context)
        try easy.set(share: share)

        try easy.set(connectTimeout: request.connectTimeout)
        if let caFile = request.caFile {
            try easy.set(caFile: caFile)
        }
        if request.receivesContent {
            usesDefaultBuffers = false
            try easy.set(receiveBufferSize: 512 * 1024)
        }
        if request.body != nil {
            usesDefaultBuffers = false
            try easy.set(uploadBufferSize: 512 * 1024)
        }

        try easy.set(url: request.url)
        // Methods are case-sensitive (RFC 9110 §9.1) and sent as given, so they are compared as given too.
        let method = request.method
        if request.body != nil || method == "POST" || method == "PUT" || method == "PATCH" {
            try easy.set(uploadSize: transfer.requestBodyLength)
            if method != "PUT" {
                try easy.set(customRequest: method)
            }
        } else if method == "GET" {
            try easy.setHTTPGet()
        } else if method == "HEAD" {
            try easy.set(noBody: true)
        } else {
            try easy.set(customRequest: method)
        }
        try easy.set(headerLines: Self.headerLines(request))

        try easy.set(writeFunction: receiveBodyCallback, userData: context)
        try easy.set(headerFunction: receiveHeaderCallback, userData: context)
        try easy.set(readFunction: sendBodyCallback, userData: context)
        try easy.set(prerequestFunction: requestReadyCallback, userData: context)
    }

    /// The request's credential and fields as curl header lines, plus an empty `Expect:` (curl would wait 1 s for a
    /// `100 Continue` on bodies over 1 MiB) and an empty `Accept:` unless one is given (curl adds `*/*`).
    static func headerLines(_ request: UpstreamRequest) -> [String] {
        var lines: [String] = []
        if let (name, secret) = request.credential {
            secret.withValue { lines.append("\(name): \($0)") }
        }
        var hasAccept = false
        var hasExpect = false
        for (name, value) in request.headers {
            if HTTPHeaders.namesEqual(name, "accept") { hasAccept = true }
            if HTTPHeaders.namesEqual(name, "expect") { hasExpect = true }
            // curl sends `Name;` for a field with an empty value; `Name:` would remove the field.
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if !hasExpect { lines.append("Expect:") }
        if !hasAccept { lines.append("Accept:") }
        return lines
    }

    // MARK: - Pause and resume, on the curl thread

    /// Unpauses receiving, keeping sending paused if it is; curl may call the write callback (and pause again)
    /// before `curl_easy_pause` returns, so the flag is cleared first.
    func resumeReceive() throws(CurlError) {
        guard inMultiHandle, receivePaused else { return }
        receivePaused = false
        try easy.pause(sendPaused ? fg_CURLPAUSE_SEND : fg_CURLPAUSE_CONT)
    }

    /// Unpauses sending, keeping receiving paused if it is.
    func resumeSend() throws(CurlError) {
        guard inMultiHandle, sendPaused else { return }
        sendPaused = false
        try easy.pause(receivePaused ? fg_CURLPAUSE_RECV : fg_CURLPAUSE_CONT)
    }

    // MARK: - Callbacks

    /// A batch is admitted whole when it starts and never grows past what was admitted, so the download queue
    /// stays within its high watermark and bytes added to a batch are never refused.
    fileprivate func receivedBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if receivedBatch.readableBytes > 0, receivedBatch.readableBytes + bytes.count > Self.receiveBatchBytes {
            flushReceivedBatch()
        }
        if receivedBatch.readableBytes == 0 {
            switch transfer.admitReceived(count: max(bytes.count, Self.receiveBatchBytes)) {
            case .accepted:
                receivedBatch = ByteBuffer(curlBytes: bytes)
                reactor.batchStarted(self)
                return bytes.count
            case .pause:
                receivePaused = true
                return fg_CURL_WRITEFUNC_PAUSE
            case .abort:
                return 0
            }
        }
        // The first callback's bytes are copied exactly (most JSON answers fit); a second one means a large body.
        receivedBatch.reserveCapacity(minimumWritableBytes: Self.receiveBatchBytes - receivedBatch.readableBytes)
        receivedBatch.writeCurlBytes(bytes)
        return bytes.count
    }

    /// Hands the gathered bytes to the transfer.
    func flushReceivedBatch() {
        guard receivedBatch.readableBytes > 0 else { return }
        let batch = receivedBatch
        receivedBatch = ByteBuffer()
        transfer.receivedBody(batch)
    }

    fileprivate func receivedHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Int {
        answerStarted = true
        firstByteDeadline = nil
        guard !headDelivered, head.receivedLine(bytes) == .endOfHead else { return bytes.count }
        let status = (try? easy.responseCode()) ?? 0
        guard status >= 200 else {
            // An interim 1xx head, or a proxy's answer to CONNECT: the final head follows.
            head.reset()
            return bytes.count
        }
        headDelivered = true
        transfer.receivedHead(ResponseHead(status: status, headers: head.headers))
        return bytes.count
    }

    fileprivate func readRequested(_ buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch transfer.readRequested(into: buffer) {
        case .copied(let count):
            bytesSent += Int64(count)
            if bytesSent >= transfer.requestBodyLength {
                startFirstByteClock()
            }
            return count
        case .pause:
            sendPaused = true
            return fg_CURL_READFUNC_PAUSE
        case .end:
            startFirstByteClock()
            return 0
        case .abort:
            return fg_CURL_READFUNC_ABORT
        }
    }

    /// A connection is ready and the request goes out now: without a body to send, the first-byte clock starts.
    fileprivate func requestReady() {
        if transfer.requestBodyLength == 0 {
            startFirstByteClock()
        }
    }

    private func startFirstByteClock() {
        guard !answerStarted, firstByteDeadline == nil else { return }
        firstByteDeadline = MonotonicInstant.now().advanced(by: transfer.request.firstByteTimeout)
    }
}

@available(*, unavailable)
extension AttachedTransfer: Sendable {}

private func attached(_ userData: UnsafeMutableRawPointer) -> AttachedTransfer {
    Unmanaged<AttachedTransfer>.fromOpaque(userData).takeUnretainedValue()
}

/// CURLOPT_WRITEFUNCTION.
private func receiveBodyCallback(
    _ data: UnsafeMutablePointer<CChar>?,
    _ size: Int,
    _ count: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int {
    guard let userData else { return 0 }
    return attached(userData).receivedBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

/// CURLOPT_HEADERFUNCTION: one line per call.
private func receiveHeaderCallback(
    _ data: UnsafeMutablePointer<CChar>?,
    _ size: Int,
    _ count: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int {
    guard let userData else { return 0 }
    return attached(userData).receivedHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
}

/// CURLOPT_READFUNCTION.
private func sendBodyCallback(
    _ buffer: UnsafeMutablePointer<CChar>?,
    _ size: Int,
    _ count: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int {
    guard let userData else { return fg_CURL_READFUNC_ABORT }
    return attached(userData).readRequested(UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

/// CURLOPT_PREREQFUNCTION.
private func requestReadyCallback(
    _ userData: UnsafeMutableRawPointer?,
    _ primaryIP: UnsafeMutablePointer<CChar>?,
    _ localIP: UnsafeMutablePointer<CChar>?,
    _ primaryPort: Int32,
    _ localPort: Int32
) -> Int32 {
    if let userData {
        attached(userData).requestReady()
    }
    return fg_CURL_PREREQFUNC_OK
}
