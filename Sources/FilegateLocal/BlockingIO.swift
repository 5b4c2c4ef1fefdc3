import NIOPosix

/// Runs blocking calls (open, write, fsync, rename, unlink, SQLite's open) on a `NIOThreadPool`.
///
/// Blocking work never runs on the cooperative pool or an event loop (STYLE.md §6). Two ways in: `run` for work a
/// cancelled task may skip, `runToCompletion` for cleanup that must happen even then (close, unlink).
struct BlockingIO: Sendable {
    let threadPool: NIOThreadPool

    /// Runs `body` on the pool; a task cancelled before the work starts gets `CancellationError` and `body` never runs.
    func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await threadPool.runIfActive(body)
    }

    /// Runs `body` on the pool whatever the task's cancellation, for cleanup that must not be skipped.
    ///
    /// When the pool is already stopped the process is going down; `body` then runs on the calling thread rather
    /// than leak a descriptor or leave a temporary file.
    func runToCompletion<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            threadPool.submit { _ in
                continuation.resume(with: Swift.Result(catching: body))
            }
        }
    }

    /// Starts `body` on the pool without waiting for it: closing a descriptor from a `deinit`.
    func runDetached(_ body: @escaping @Sendable () -> Void) {
        threadPool.submit { _ in body() }
    }
}
