import CFilegateCurl
import Glibc

/// Starts the curl thread: a detached pthread that runs one closure.
///
/// A thread of its own because curl blocks in `epoll_wait` and must never run on Swift's cooperative pool or a
/// NIO event loop (STYLE.md §6); the `CurlLoop` learns of its end through the closure, not through a join.
enum CurlThread {
    /// The thread's name in `top -H`, `perf` and `/proc/PID/task/*/comm` (at most 15 bytes). Unnamed, it took the
    /// name of whichever thread started it, a libdispatch worker's (`root.default-qos`).
    static let name = "filegate-curl"

    private final class Entry {
        let body: @Sendable () -> Void

        init(_ body: @escaping @Sendable () -> Void) {
            self.body = body
        }
    }

    static func spawn(_ body: @escaping @Sendable () -> Void) throws(CurlError) {
        let entry = Unmanaged.passRetained(Entry(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            nil,
            { argument in
                guard let argument else { return nil }
                _ = fg_name_current_thread(CurlThread.name)
                Unmanaged<Entry>.fromOpaque(argument).takeRetainedValue().body()
                return nil
            },
            entry
        )
        guard result == 0 else {
            Unmanaged<Entry>.fromOpaque(entry).release()
            throw CurlError(.system("pthread_create", result))
        }
        pthread_detach(thread)
    }
}
