/// Easy handles kept for reuse by small transfers: a handle made and cleaned up per request cost libcurl alone
/// 38.6 µs of CPU per small GET, a reset one 29.3 (`bench/curl_floor.c`, `make bench-proxy`).
///
/// Only a handle with curl's default buffers comes back: `curl_easy_reset` keeps the buffers of the last transfer,
/// and a content transfer's 512 KiB ones kept idle would cost half a MiB each. Confined to the curl thread.
final class EasyHandlePool {
    private var idle: [EasyHandle] = []
    private let capacity: Int

    /// - Parameter capacity: the most idle handles kept; more transfers than this at once make fresh handles.
    init(capacity: Int) {
        self.capacity = capacity
        idle.reserveCapacity(capacity)
    }

    /// An idle handle with no options set, or a new one.
    func take() throws(CurlError) -> EasyHandle {
        if let easy = idle.popLast() { return easy }
        return try EasyHandle()
    }

    /// Cleans up every idle handle; before the share handle, which cannot be cleaned up while handles use it.
    func removeAll() {
        idle.removeAll()
    }

    /// Takes back a handle out of its multi handle; `defaultBuffers` says that no buffer size was set on it.
    func giveBack(_ easy: EasyHandle, defaultBuffers: Bool) {
        guard defaultBuffers, idle.count < capacity, (try? easy.reset()) != nil else { return }
        idle.append(easy)
    }
}

@available(*, unavailable)
extension EasyHandlePool: Sendable {}
