extension UpstreamSlots {
    /// How a wait for a slot ended.
    enum Outcome: Hashable, Sendable {
        case granted
        case timedOut
        case cancelled
    }

    /// Who holds a backend's upstream slots and who waits for one, first come first served.
    ///
    /// Pure: the caller keeps it under a lock and resumes the waiter an `Action` names after unlocking (STYLE.md §6).
    /// `Waiter` is whatever wakes a waiting request (a continuation; a plain value in tests). A request that must
    /// wait gets a ticket before its waiter exists, so a timeout or a cancellation may come first: the outcome is
    /// then kept for the ticket and handed out when the waiter arrives.
    struct StateMachine<Waiter> {
        /// The answer to `requested()`: a slot now, or a ticket to wait with.
        enum Request: Hashable {
            case granted
            case queued(ticket: UInt64)
        }

        /// What the owner does after unlocking.
        enum Action {
            case none
            /// Wake `waiter` with `outcome`; with `.granted` the slot passes straight to it.
            case resume(Waiter, Outcome)
        }

        /// A queued ticket: reserved (its waiter not there yet) or waiting.
        ///
        /// `reserved` → `waiting` (the waiter arrived); either leaves the queue when granted, timed out or cancelled.
        fileprivate enum Entry {
            case reserved
            case waiting(Waiter)
        }

        /// At most this many transfers hold a slot at once.
        let limit: Int
        /// Slots held now, at most `limit`.
        private(set) var inUse = 0
        /// Tickets still in the queue; every ticket below `oldest` has left it.
        private var queue: [UInt64: Entry] = [:]
        /// Outcomes decided while a ticket's waiter had not arrived yet.
        private var decided: [UInt64: Outcome] = [:]
        private var nextTicket: UInt64 = 0
        private var oldest: UInt64 = 0

        init(limit: Int) {
            precondition(limit >= 1, "an upstream needs at least one slot")
            self.limit = limit
        }

        /// Requests waiting for a slot.
        var queued: Int { queue.count }

        /// A request wants a slot: it gets one at once when one is free and nobody waits before it.
        mutating func requested() -> Request {
            if inUse < limit && queue.isEmpty {
                inUse += 1
                return .granted
            }
            let ticket = nextTicket
            nextTicket += 1
            queue[ticket] = .reserved
            return .queued(ticket: ticket)
        }

        /// The waiter for `ticket` is ready: woken at once when its outcome was decided before it came.
        mutating func waiterArrived(_ ticket: UInt64, _ waiter: Waiter) -> Action {
            if let outcome = decided.removeValue(forKey: ticket) {
                return .resume(waiter, outcome)
            }
            guard queue[ticket] != nil else {
                preconditionFailure("a waiter arrived for ticket \(ticket), which was never queued")
            }
            queue[ticket] = .waiting(waiter)
            return .none
        }

        /// The request holding `ticket` stops waiting (`.timedOut` or `.cancelled`); nothing happens when it already
        /// got its slot or left.
        mutating func waiterLeft(_ ticket: UInt64, _ reason: Outcome) -> Action {
            precondition(reason != .granted, "leaving the queue is a timeout or a cancellation")
            switch queue.removeValue(forKey: ticket) {
            case nil:
                return .none
            case .reserved:
                decided[ticket] = reason
                return .none
            case .waiting(let waiter):
                return .resume(waiter, reason)
            }
        }

        /// A transfer gave its slot back: it passes to the oldest request still waiting, else it is free.
        mutating func slotReleased() -> Action {
            precondition(inUse > 0, "a slot was released that nobody held")
            while oldest < nextTicket {
                let ticket = oldest
                oldest += 1
                switch queue.removeValue(forKey: ticket) {
                case nil:
                    continue
                case .reserved:
                    decided[ticket] = .granted
                    return .none
                case .waiting(let waiter):
                    return .resume(waiter, .granted)
                }
            }
            inUse -= 1
            return .none
        }
    }
}

extension UpstreamSlots.StateMachine: Sendable where Waiter: Sendable {}

extension UpstreamSlots.StateMachine.Entry: Sendable where Waiter: Sendable {}

extension UpstreamSlots.StateMachine.Action: Sendable where Waiter: Sendable {}

extension UpstreamSlots.StateMachine.Action: Equatable where Waiter: Equatable {}
