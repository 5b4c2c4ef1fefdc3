import NIOConcurrencyHelpers

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

    private struct Counts {
        var served = 0
        var refusing = 0
    }

    init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// Connections being served now.
    var served: Int { counts.withLockedValue { $0.served } }

    /// Decides for a connection just accepted, and counts it.
    func admit() -> Admission {
        counts.withLockedValue { counts in
            if counts.served < maxConnections {
                counts.served += 1
                return .serve
            }
            if counts.refusing < Self.maxRefusing {
                counts.refusing += 1
                return .refuse
            }
            return .close
        }
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
