import FilegateCore
import FilegateGateway
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Runs one connection's client timeouts on its event loop (issue 5 point 3): `client_header_timeout_seconds`,
/// `client_body_timeout_seconds`, `keepalive_timeout_seconds` and `send_timeout_seconds`.
///
/// Scheduled checks on the event loop rather than an idle-state handler in the pipeline: such a handler times socket
/// reads and writes, but what must be timed is filegate waiting for the client (the gateway suspended for a body
/// chunk, a write suspended on an unwritable channel) and never filegate waiting for an upstream, when NIO stops
/// reading because the inbound buffer is full. Only the parser and the connection loop know which wait is which, so
/// they report it here. Locked: the parser reports on the event loop, body reads and writes from whichever executor
/// runs the gateway's task.
final class ConnectionTimer: Sendable {
    /// A wait for the client ran out; sent into the inbound stream so the task reading it answers 408.
    struct Expired: Error, Hashable {
        var wait: StateMachine.Wait
        var after: Duration
    }

    private let machine: NIOLockedValueBox<StateMachine>
    private let timeouts: ConnectionTimeouts
    private let channel: any Channel
    private let logger: Logger

    /// Starts timing a connection accepted now: the first head must come within the header timeout.
    init(channel: any Channel, timeouts: ConnectionTimeouts, logger: Logger) {
        self.machine = NIOLockedValueBox(StateMachine(timeouts: timeouts, start: .now()))
        self.timeouts = timeouts
        self.channel = channel
        self.logger = logger
        perform(machine.withLockedValue { $0.started() })
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.machine.withLockedValue { $0.closed() }
        }
    }

    func headStarted() { perform(machine.withLockedValue { $0.headStarted(now: .now()) }) }
    func headCompleted() { machine.withLockedValue { $0.headCompleted() } }
    func bodyEnded() { machine.withLockedValue { $0.bodyEnded() } }
    func awaitingHead() { perform(machine.withLockedValue { $0.awaitingHead(now: .now()) }) }
    func headReceived() { machine.withLockedValue { $0.headReceived() } }

    /// Times `read` as a wait for the client's body bytes.
    func waitingForBody<Result>(_ read: () async throws -> Result) async throws -> Result {
        perform(machine.withLockedValue { $0.bodyWaitBegan(now: .now()) })
        defer { machine.withLockedValue { $0.bodyWaitEnded() } }
        return try await read()
    }

    /// Times `write` as a wait for the client to take bytes.
    func waitingToSend(_ write: () async throws -> Void) async throws {
        perform(machine.withLockedValue { $0.sendWaitBegan(now: .now()) })
        defer { machine.withLockedValue { $0.sendWaitEnded() } }
        try await write()
    }

    private func perform(_ action: StateMachine.Action) {
        switch action {
        case .none:
            return
        case .schedule(let deadline):
            // A stale check (its deadline replaced by an earlier one) finds nothing to do; not cancelled, so two
            // threads scheduling at once cannot lose the check that counts.
            channel.eventLoop.scheduleTask(deadline: deadline) { [weak self] in
                guard let self else { return }
                self.perform(self.machine.withLockedValue { $0.checkDue(scheduledFor: deadline, now: .now()) })
            }
        case .expire(let wait):
            expire(wait)
        }
    }

    private func expire(_ wait: StateMachine.Wait) {
        logger.log(
            level: wait == .idle ? .debug : .info,
            "client timed out",
            metadata: [LogKey.timeout: "\(wait.rawValue)"]
        )
        switch wait {
        case .idle, .send: channel.close(promise: nil)
        case .head: channel.pipeline.fireErrorCaught(Expired(wait: wait, after: timeouts.header))
        case .body: channel.pipeline.fireErrorCaught(Expired(wait: wait, after: timeouts.body))
        }
    }
}
