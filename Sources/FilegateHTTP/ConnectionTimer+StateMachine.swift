import FilegateGateway
import NIOCore

extension ConnectionTimer {
    /// Which waits for the client are running and when the first runs out; pure, driven event by event.
    ///
    /// Waits are armed and disarmed far more often than they run out (around every body chunk and every write), so
    /// arming only records when the wait began, and there is at most one scheduled check: a check that finds the
    /// wait armed again since asks to be scheduled for the new deadline (the lazy timer of nginx's event timers).
    struct StateMachine {
        /// A wait for the client that can run out, and what filegate does then.
        enum Wait: String, Hashable, Sendable {
            /// No byte of a next head while the connection waits for one: closed silently.
            case idle
            /// A head begun and not complete: 408.
            case head
            /// The gateway waits for a body byte: its read fails, 408.
            case body
            /// A write waits for the client to take bytes: the connection is cut.
            case send
        }

        /// Where the parser and the connection loop stand between requests.
        enum Inbound: Hashable {
            /// The loop waits for a head and no byte of one has come since `since` → head, between.
            case idle(since: NIODeadline)
            /// No byte of the next head has come while the loop is busy with a request → idle, head.
            case between
            /// The next head's first byte came at `since` (for the first head: the connection's start) → request.
            case head(since: NIODeadline)
            /// The parser read a whole head; its body may still be arriving → between.
            case request
        }

        /// What the owner does after an event.
        enum Action: Hashable {
            case none
            /// Schedule a check at the deadline (an earlier one than any scheduled).
            case schedule(NIODeadline)
            /// The wait ran out: act on it; nothing is checked any more.
            case expire(Wait)
        }

        private let header: TimeAmount
        private let body: TimeAmount
        private let keepAlive: TimeAmount
        private let send: TimeAmount
        private let start: NIODeadline
        private(set) var inbound: Inbound
        private var headsRead = 0
        private var bodySince: NIODeadline?
        private var sendSince: NIODeadline?
        /// The deadline of the one check that counts; checks scheduled for other deadlines are stale.
        private var scheduled: NIODeadline?
        private var finished = false

        /// A connection accepted at `start`, waiting for its first head.
        init(timeouts: ConnectionTimeouts, start: NIODeadline) {
            header = TimeAmount(timeouts.header)
            body = TimeAmount(timeouts.body)
            keepAlive = TimeAmount(timeouts.keepAlive)
            send = TimeAmount(timeouts.send)
            self.start = start
            inbound = .idle(since: start)
        }

        /// The first check, for the first head.
        mutating func started() -> Action { rearm() }

        /// The parser got the first byte of a head.
        mutating func headStarted(now: NIODeadline) -> Action {
            switch inbound {
            case .idle, .between:
                inbound = .head(since: headsRead == 0 ? start : now)
                return rearm()
            case .head, .request:
                return .none
            }
        }

        /// The parser read a whole head.
        mutating func headCompleted() {
            headsRead += 1
            inbound = .request
        }

        /// The parser read the end of a request's body.
        mutating func bodyEnded() {
            if inbound == .request { inbound = .between }
        }

        /// The connection loop waits for the next head.
        mutating func awaitingHead(now: NIODeadline) -> Action {
            guard inbound == .between else { return .none }
            inbound = .idle(since: now)
            return rearm()
        }

        /// The connection loop took a head (one the parser may have read while the loop was busy).
        mutating func headReceived() {
            if case .idle = inbound { inbound = .between }
        }

        /// The gateway waits for a body byte.
        mutating func bodyWaitBegan(now: NIODeadline) -> Action {
            bodySince = now
            return rearm()
        }

        mutating func bodyWaitEnded() { bodySince = nil }

        /// A write waits for the client to take bytes.
        mutating func sendWaitBegan(now: NIODeadline) -> Action {
            sendSince = now
            return rearm()
        }

        mutating func sendWaitEnded() { sendSince = nil }

        /// A check scheduled for `deadline` ran at `now`.
        mutating func checkDue(scheduledFor deadline: NIODeadline, now: NIODeadline) -> Action {
            guard !finished, scheduled == deadline else { return .none }
            scheduled = nil
            guard let next = nextExpiry else { return .none }
            guard next.deadline <= now else { return rearm() }
            finished = true
            return .expire(next.wait)
        }

        /// The connection closed: nothing runs out any more.
        mutating func closed() { finished = true }

        private mutating func rearm() -> Action {
            guard !finished, let next = nextExpiry else { return .none }
            if let scheduled, scheduled <= next.deadline { return .none }
            scheduled = next.deadline
            return .schedule(next.deadline)
        }

        /// The running wait that runs out first.
        private var nextExpiry: (deadline: NIODeadline, wait: Wait)? {
            var next: (deadline: NIODeadline, wait: Wait)?
            switch inbound {
            case .idle(let since): next = headsRead == 0 ? (start + header, .idle) : (since + keepAlive, .idle)
            case .head(let since): next = (since + header, .head)
            case .between, .request: break
            }
            if let bodySince, next.map({ bodySince + body < $0.deadline }) ?? true {
                next = (bodySince + body, .body)
            }
            if let sendSince, next.map({ sendSince + send < $0.deadline }) ?? true {
                next = (sendSince + send, .send)
            }
            return next
        }
    }
}
