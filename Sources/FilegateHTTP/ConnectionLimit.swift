import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Counts client connections against `max_connections` (issue 5 point 7) and decides, as each is accepted, whether
/// it is served, refused with a 503, or closed at once.
///
/// Connections past the limit are still accepted so they get an answer (a client left in the listen backlog just
/// hangs); those being refused are bounded too, by `maxRefusing`, so a flood cannot spend the descriptors the served
/// ones need: past both, a connection is closed without an answer.
final class ConnectionLimit: Sendable {
    /// What becomes of a connection just accepted.
    enum Admission: Hashable, Sendable {
        /// Served; `connectionEnded()` when its task ends.
        case serve
        /// Answered 503 and closed; `refusalEnded()` when it is closed.
        case refuse
        /// Closed at once.
        case close
    }

    /// Connections being refused at once, at most; part of the 256 spare descriptors `OpenFilesLimit` counts.
    static let maxRefusing = 128

    let maxConnections: Int
    private let counts = NIOLockedValueBox(Counts())
    private let logger: Logger

    private struct Counts {
        var served = 0
        var refusing = 0
        var turnedAway = TurnedAwayReport()
    }

    init(maxConnections: Int, logger: Logger) {
        self.maxConnections = maxConnections
        self.logger = logger
    }

    /// Connections being served now.
    var served: Int { counts.withLockedValue { $0.served } }

    /// Decides for a connection just accepted, and counts it; logs the connections turned away, at most once per
    /// `TurnedAwayReport.interval`.
    func admit(now: NIODeadline = .now()) -> Admission {
        let (admission, report) = counts.withLockedValue { counts -> (Admission, TurnedAwayReport.Counts?) in
            if counts.served < maxConnections {
                counts.served += 1
                return (.serve, nil)
            }
            if counts.refusing < Self.maxRefusing {
                counts.refusing += 1
                return (.refuse, counts.turnedAway.count(refused: true, at: now))
            }
            return (.close, counts.turnedAway.count(refused: false, at: now))
        }
        if let report {
            logger.warning(
                "connections turned away past max_connections",
                metadata: [
                    "max_connections": "\(maxConnections)",
                    "answered_503": "\(report.refused)",
                    "closed_unanswered": "\(report.closed)",
                ]
            )
        }
        return admission
    }

    /// A served connection's task ended.
    func connectionEnded() {
        counts.withLockedValue { counts in
            precondition(counts.served > 0, "a served connection ended that was never counted")
            counts.served -= 1
        }
    }

    /// A refused connection is closed.
    func refusalEnded() {
        counts.withLockedValue { counts in
            precondition(counts.refusing > 0, "a refused connection ended that was never counted")
            counts.refusing -= 1
        }
    }
}

/// Counts the connections turned away past `max_connections` and says when to log them: the first at once, then the
/// ones since at the next one turned away once `interval` has passed. Each one logged would let a flood of
/// connections flood the log as well.
struct TurnedAwayReport: Sendable {
    static let interval = TimeAmount.seconds(10)

    struct Counts: Hashable, Sendable {
        /// Answered 503.
        var refused = 0
        /// Closed without an answer (past `ConnectionLimit.maxRefusing` as well).
        var closed = 0
    }

    private var unreported = Counts()
    private var lastReport: NIODeadline?

    /// Counts one connection turned away at `now`; returns the counts to log, if it is time, and starts anew.
    mutating func count(refused: Bool, at now: NIODeadline) -> Counts? {
        if refused { unreported.refused += 1 } else { unreported.closed += 1 }
        if let lastReport, now - lastReport < Self.interval { return nil }
        lastReport = now
        defer { unreported = Counts() }
        return unreported
    }
}
