import NIOCore

/// Runs a connection's tasks on the event loop that owns its channel.
///
/// Without it every request hops NIO loop → Swift's global pool → NIO loop (and the upstream's answer a third
/// time), each hop a thread wake; on the loop, reads and writes of the async channel take NIO's in-loop fast path
/// and only the curl thread's hand-back crosses threads. Blocking work already runs elsewhere (NIOThreadPool).
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
