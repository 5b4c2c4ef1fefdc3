import Glibc

/// Starts the curl thread: a detached pthread that runs one closure.
///
/// A thread of its own because curl blocks in `epoll_wait` and must never run on Swift's cooperative pool or a
/// NIO event loop (STYLE.md §6); the `CurlLoop` learns of its end through the closure, not through a join.
enum CurlThread {
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
