import FilegateCore
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// A remote backend's upstream connection limit (`max_upstream_connections`, issue 5 point 7): a FIFO of requests
/// waiting for a slot, each for at most `queueTimeout`.
///
/// curl could cap connections per host itself, but its pending queue never times out: a request would wait as long
/// as the slowest transfers ahead of it. Here a request that waits too long is answered 503 with `Retry-After`,
/// and one whose client leaves while it waits leaves the queue.
final class UpstreamSlots: Sendable {
    /// The `Retry-After` of a request that waited too long.
    static let retryAfterSeconds = 1

    private typealias Machine = StateMachine<CheckedContinuation<Outcome, Never>>

    let queueTimeout: Duration
    /// NIO's pthread lock, as `Transfer` explains.
    private let machine: NIOLockedValueBox<Machine>

    init(limit: Int, queueTimeout: Duration) {
        self.queueTimeout = queueTimeout
        self.machine = NIOLockedValueBox(Machine(limit: limit))
    }

    /// Requests waiting for a slot now.
    var queued: Int { machine.withLockedValue { $0.queued } }

    /// Slots held now.
    var inUse: Int { machine.withLockedValue { $0.inUse } }

    /// Waits for a slot, first come first served; throws 503 after `queueTimeout`, or when the task is cancelled.
    /// A free slot is taken at once, without suspending.
    func acquire() async throws(GatewayError) -> UpstreamSlot {
        guard case .queued(let ticket) = machine.withLockedValue({ $0.requested() }) else {
            return UpstreamSlot(self)
        }
        let outcome = await withTaskGroup(of: Void.self, returning: Outcome.self) { group in
            group.addTask {
                do {
                    try await Task.sleep(for: self.queueTimeout)
                } catch {
                    return
                }
                self.leave(ticket, .timedOut)
            }
            let outcome = await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    self.act(self.machine.withLockedValue { $0.waiterArrived(ticket, continuation) })
                }
            } onCancel: {
                self.leave(ticket, .cancelled)
            }
            group.cancelAll()
            return outcome
        }
        switch outcome {
        case .granted:
            return UpstreamSlot(self)
        case .timedOut:
            throw GatewayError(
                .unavailable,
                "The upstream is busy; please retry shortly.",
                retryAfterSeconds: Self.retryAfterSeconds,
                underlying: "no upstream connection slot within \(queueTimeout)"
            )
        case .cancelled:
            throw .transferCancelled
        }
    }

    /// Gives a slot back; only `UpstreamSlot` calls it, once.
    fileprivate func release() {
        act(machine.withLockedValue { $0.slotReleased() })
    }

    private func leave(_ ticket: UInt64, _ reason: Outcome) {
        act(machine.withLockedValue { $0.waiterLeft(ticket, reason) })
    }

    private func act(_ action: Machine.Action) {
        switch action {
        case .none: break
        case .resume(let continuation, let outcome): continuation.resume(returning: outcome)
        }
    }
}

/// One upstream slot, held from before a transfer starts until its answer's body ends.
///
/// Released once: explicitly, when the body is read to its end or fails, or when the last reference goes (a body
/// dropped unread, a transfer that failed to start).
final class UpstreamSlot: Sendable {
    private let slots: UpstreamSlots
    private let released = Atomic(false)

    fileprivate init(_ slots: UpstreamSlots) {
        self.slots = slots
    }

    deinit {
        release()
    }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        slots.release()
    }

    /// `body`, with this slot released when its iteration ends or it is dropped.
    func holding(_ body: Body) -> Body {
        Body(length: body.length, SlotHeldChunks(base: body, slot: self))
    }
}

/// A response body's chunks that give the upstream slot back at their end.
private struct SlotHeldChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: Body
    let slot: UpstreamSlot

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Body.AsyncIterator
        let slot: UpstreamSlot

        mutating func next() async throws -> ByteBuffer? {
            do {
                guard let chunk = try await base.next() else {
                    slot.release()
                    return nil
                }
                return chunk
            } catch {
                slot.release()
                throw error
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), slot: slot)
    }
}
