import CFilegateCurl
public import FilegateCore
import FilegateWire
import Glibc
public import Logging
import NIOConcurrencyHelpers
public import ServiceLifecycle
import Synchronization

/// The one curl thread: one multi handle, one share handle, every upstream transfer (DESIGN.md "libcurl, the
/// outbound side").
///
/// `perform(_:)` may be called from any task; it hands the transfer to the curl thread through a lock-guarded
/// queue and an eventfd, which is the only way other threads reach curl (`curl_easy_pause` included). `run()`
/// starts the thread and returns once it has stopped, on graceful shutdown or cancellation, after every easy
/// handle was taken out of the multi handle and the handles cleaned up.
public final class CurlLoop: Service, Sendable {
    /// Work for the curl thread.
    enum Command {
        case start(Transfer)
        case resumeReceive(Transfer)
        case resumeSend(Transfer)
        case cancel(Transfer)
        case shutdown
    }

    /// Where the thread is.
    /// `.idle` → `.running` → `.stopped`; `.idle` → `.stopped` when the thread could not start.
    private enum Phase {
        case idle
        case running(wakeFD: Int32)
        case stopped
    }

    private struct Mailbox {
        var phase = Phase.idle
        var commands: [Command] = []
        var started = false
    }

    private let logger: Logger
    private let maxOpenConnections: Int
    private let parkedSocketEvents = Atomic<Int>(0)
    private let socketWatchFailures = Atomic<Int>(0)
    /// A pthread lock, not `Synchronization.Mutex`, for the reason `Transfer` gives.
    private let mailbox = NIOLockedValueBox(Mailbox())

    /// - Parameter maxOpenConnections: how many upstream connections curl keeps open, in use or idle. At least as
    ///   many as transfers may run at once (the backends' `max_upstream_connections` together): curl counts the
    ///   connections in use too, so with fewer it closes a connection each time a transfer ends, and under load
    ///   every request opens a new one.
    public init(logger: Logger, maxOpenConnections: Int = 64) {
        self.logger = logger
        self.maxOpenConnections = maxOpenConnections
    }

    /// Starts the curl thread and returns once it stopped: on graceful shutdown or cancellation every transfer
    /// still running fails with `unavailable`.
    public func run() async throws {
        let alreadyStarted = mailbox.withLockedValue { mailbox in
            defer { mailbox.started = true }
            return mailbox.started
        }
        guard !alreadyStarted else {
            throw CurlError(.system("CurlLoop.run called twice", EBUSY))
        }
        guard curlGlobalInitCode == CURLE_OK else {
            stop()
            throw CurlError(.easy(CurlCode(curlGlobalInitCode)), detail: "curl_global_init failed")
        }
        let result = await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Result<Void, CurlError>, Never>) in
                    do throws(CurlError) {
                        try CurlThread.spawn { [self] in
                            continuation.resume(returning: runThread())
                        }
                    } catch {
                        stop()
                        continuation.resume(returning: .failure(error))
                    }
                }
            } onCancel: {
                submit(.shutdown)
            }
        } onGracefulShutdown: {
            self.submit(.shutdown)
        }
        try result.get()
    }

    /// The curl thread's whole life.
    private func runThread() -> Result<Void, CurlError> {
        let reactor: CurlReactor
        do {
            reactor = try CurlReactor(loop: self, maxOpenConnections: maxOpenConnections, logger: logger)
        } catch {
            logger.error("The curl thread could not start", metadata: [LogKey.error: "\(error)"])
            stop()
            return .failure(error)
        }
        logger.debug("The curl thread is running")
        reactor.run()
        logger.debug("The curl thread stopped")
        return .success(())
    }

    /// Sends `request` upstream and returns once the final response head is in; the body streams after.
    ///
    /// Cancelling the calling task cancels the transfer; so does dropping the response body unfinished or
    /// cancelling its consumer. An HTTP status of 300 or more is returned as it is.
    public func perform(_ request: UpstreamRequest) async throws(GatewayError) -> UpstreamResponse {
        if let body = request.body, case .unknown = body.length {
            throw GatewayError.internalError("An upstream request body must have a known length.")
        }
        let transfer = Transfer(request: request, loop: self)
        guard submit(.start(transfer)) else {
            transfer.finished(.failure(.loopStopped))
            throw .loopStopped
        }
        let head = await withTaskCancellationHandler {
            // Without a body there is nothing to pump: no task group, whose creation and cancellation cost a
            // twentieth of a small GET's CPU.
            guard let body = request.body else { return await transfer.awaitHead() }
            return await withTaskGroup(of: Void.self, returning: Result<ResponseHead, GatewayError>.self) { group in
                group.addTask { await transfer.pumpRequestBody(body) }
                let head = await transfer.awaitHead()
                // A request body still unsent when the head is in is no longer wanted (the machine closed it).
                group.cancelAll()
                return head
            }
        } onCancel: {
            transfer.cancel(.transferCancelled)
        }
        let responseHead = try head.get()
        let reader = ResponseBodyReader(transfer: transfer)
        var response = UpstreamResponse(
            status: responseHead.status,
            headers: responseHead.headers,
            body: Body(length: Self.bodyLength(of: responseHead, method: request.method), reader.chunks)
        )
        response.transfer = transfer
        return response
    }

    /// The body length a head declares: `Content-Length` unless the answer has no body by its method (compared as
    /// sent: methods are case-sensitive) or status.
    static func bodyLength(of head: ResponseHead, method: String) -> Body.Length {
        if method == "HEAD" || head.status == 204 || head.status == 304 {
            return .known(0)
        }
        guard !head.headers.contains(name: "Transfer-Encoding"),
            let text = head.headers.first(name: "Content-Length"),
            let length = Int64(text), length >= 0
        else { return .unknown }
        return .known(length)
    }

    /// How often an idle connection's socket, left in the epoll set, reported an event and was taken out of it
    /// (`CurlReactor.parkedSockets`): once per idle connection its peer closed. The tests read it.
    var parkedSocketEventCount: Int { parkedSocketEvents.load(ordering: .relaxed) }

    func parkedSocketReported() {
        parkedSocketEvents.add(1, ordering: .relaxed)
    }

    /// How often a socket curl asked to watch could not be put in the epoll set (each is also logged as an error):
    /// curl then moves its transfer on its timers alone. The tests expect none.
    var socketWatchFailureCount: Int { socketWatchFailures.load(ordering: .relaxed) }

    func socketWatchFailed() {
        socketWatchFailures.add(1, ordering: .relaxed)
    }

    // MARK: - The queue to the curl thread

    /// Hands `command` to the curl thread; false once the thread has stopped. The eventfd is written only when
    /// the queue goes from empty to non-empty: the thread drains it whole on each wake.
    @discardableResult
    func submit(_ command: Command) -> Bool {
        mailbox.withLockedValue { mailbox in
            switch mailbox.phase {
            case .stopped:
                return false
            case .idle:
                mailbox.commands.append(command)
                return true
            case .running(let wakeFD):
                let wasEmpty = mailbox.commands.isEmpty
                mailbox.commands.append(command)
                if wasEmpty {
                    eventfd_write(wakeFD, 1)
                }
                return true
            }
        }
    }

    /// The curl thread is ready to be woken through `wakeFD`.
    func started(wakeFD: Int32) {
        mailbox.withLockedValue { mailbox in
            mailbox.phase = .running(wakeFD: wakeFD)
        }
    }

    /// The commands submitted since the last call, in order.
    func takeCommands() -> [Command] {
        mailbox.withLockedValue { mailbox in
            defer { mailbox.commands.removeAll(keepingCapacity: true) }
            return mailbox.commands
        }
    }

    /// Refuses further commands and fails the transfers whose start was still queued. The eventfd is closed
    /// under the lock, so no submit writes to a closed (or reused) descriptor.
    func stop() {
        let leftover = mailbox.withLockedValue { mailbox -> [Command] in
            if case .running(let wakeFD) = mailbox.phase {
                close(wakeFD)
            }
            mailbox.phase = .stopped
            defer { mailbox.commands.removeAll() }
            return mailbox.commands
        }
        for case .start(let transfer) in leftover {
            transfer.finished(.failure(.loopStopped))
        }
    }
}

extension GatewayError {
    /// The curl thread has stopped (shutdown): no upstream request can be made.
    static let loopStopped = GatewayError(.unavailable, "The server is shutting down.")
}

/// `curl_global_init`, run once for the process, before the first curl thread starts.
private let curlGlobalInitCode: CURLcode = curl_global_init(fg_CURL_GLOBAL_DEFAULT)
