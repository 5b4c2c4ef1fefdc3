import FilegateCore
import NIOCore
import Testing

@testable import FilegateRemote

/// `UpstreamSlots.StateMachine` driven event by event, each answer asserted, then the slots held and the queue.
@Suite struct UpstreamSlotsTests {
    typealias Machine = UpstreamSlots.StateMachine<String>

    /// One event and what the machine must answer.
    enum Step: Sendable, CustomStringConvertible {
        case request(Machine.Request)
        case arrive(UInt64, String, Machine.Action)
        case leave(UInt64, UpstreamSlots.Outcome, Machine.Action)
        case release(Machine.Action)

        var description: String {
            switch self {
            case .request: "request"
            case .arrive(let ticket, let waiter, _): "arrive(\(ticket), \(waiter))"
            case .leave(let ticket, let reason, _): "leave(\(ticket), \(reason))"
            case .release: "release"
            }
        }
    }

    /// A script: the limit, the steps, then the slots in use and the requests queued at the end.
    struct Script: Sendable, CustomTestStringConvertible {
        var name: String
        var limit: Int
        var steps: [Step]
        var inUse: Int
        var queued: Int

        var testDescription: String { name }
    }

    static let scripts: [Script] = [
        Script(
            name: "free slots are granted at once",
            limit: 2,
            steps: [.request(.granted), .request(.granted)],
            inUse: 2,
            queued: 0
        ),
        Script(
            name: "past the limit a request queues; a release hands the slot to it",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .arrive(0, "a", .none),
                .release(.resume("a", .granted)),
            ],
            inUse: 1,
            queued: 0
        ),
        Script(
            name: "the queue is first come first served",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .arrive(0, "a", .none),
                .request(.queued(ticket: 1)), .arrive(1, "b", .none),
                .release(.resume("a", .granted)), .release(.resume("b", .granted)), .release(.none),
            ],
            inUse: 0,
            queued: 0
        ),
        Script(
            name: "a newcomer queues behind waiters even when a slot is free an instant",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .arrive(0, "a", .none),
                .release(.resume("a", .granted)), .request(.queued(ticket: 1)),
            ],
            inUse: 1,
            queued: 1
        ),
        Script(
            name: "a waiter that times out leaves the queue and is woken with the timeout",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .arrive(0, "a", .none),
                .leave(0, .timedOut, .resume("a", .timedOut)), .release(.none),
            ],
            inUse: 0,
            queued: 0
        ),
        Script(
            name: "a cancelled waiter leaves; the next one gets the slot",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .arrive(0, "a", .none),
                .request(.queued(ticket: 1)), .arrive(1, "b", .none),
                .leave(0, .cancelled, .resume("a", .cancelled)), .release(.resume("b", .granted)),
            ],
            inUse: 1,
            queued: 0
        ),
        Script(
            name: "a cancellation before the waiter arrives is handed out on arrival",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .leave(0, .cancelled, .none),
                .arrive(0, "a", .resume("a", .cancelled)),
            ],
            inUse: 1,
            queued: 0
        ),
        Script(
            name: "a slot granted before the waiter arrives is handed out on arrival",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .release(.none),
                .arrive(0, "a", .resume("a", .granted)),
            ],
            inUse: 1,
            queued: 0
        ),
        Script(
            name: "a timeout after the grant changes nothing",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .arrive(0, "a", .none),
                .release(.resume("a", .granted)), .leave(0, .timedOut, .none), .leave(0, .cancelled, .none),
            ],
            inUse: 1,
            queued: 0
        ),
        Script(
            name: "a release skips tickets that left",
            limit: 1,
            steps: [
                .request(.granted), .request(.queued(ticket: 0)), .arrive(0, "a", .none),
                .request(.queued(ticket: 1)), .arrive(1, "b", .none), .request(.queued(ticket: 2)),
                .arrive(2, "c", .none), .leave(0, .timedOut, .resume("a", .timedOut)),
                .leave(1, .cancelled, .resume("b", .cancelled)), .release(.resume("c", .granted)), .release(.none),
            ],
            inUse: 0,
            queued: 0
        ),
    ]

    @Test(arguments: scripts)
    func script(_ script: Script) {
        var machine = Machine(limit: script.limit)
        for (index, step) in script.steps.enumerated() {
            switch step {
            case .request(let expected):
                #expect(machine.requested() == expected, "step \(index): \(step)")
            case .arrive(let ticket, let waiter, let expected):
                #expect(machine.waiterArrived(ticket, waiter) == expected, "step \(index): \(step)")
            case .leave(let ticket, let reason, let expected):
                #expect(machine.waiterLeft(ticket, reason) == expected, "step \(index): \(step)")
            case .release(let expected):
                #expect(machine.slotReleased() == expected, "step \(index): \(step)")
            }
        }
        #expect(machine.inUse == script.inUse)
        #expect(machine.queued == script.queued)
    }

    @Test func aWaiterPastTheQueueTimeoutIsAnswered503WithRetryAfter() async throws {
        let slots = UpstreamSlots(limit: 1, queueTimeout: .milliseconds(50))
        let held = try await slots.acquire()
        do {
            _ = try await slots.acquire()
            Issue.record("a second slot was granted past the limit")
        } catch {
            #expect(error.code == .unavailable)
            #expect(error.status == 503)
            #expect(error.retryAfterSeconds == 1)
        }
        #expect(slots.queued == 0)
        held.release()
        #expect(slots.inUse == 0)
    }

    @Test func aReleasedSlotPassesToTheWaiter() async throws {
        let slots = UpstreamSlots(limit: 1, queueTimeout: .seconds(60))
        let held = try await slots.acquire()
        async let second = slots.acquire()
        while slots.queued == 0 { await Task.yield() }
        held.release()
        let granted = try await second
        #expect(slots.inUse == 1)
        granted.release()
        #expect(slots.inUse == 0)
    }

    @Test func aCancelledWaiterLeavesTheQueue() async throws {
        let slots = UpstreamSlots(limit: 1, queueTimeout: .seconds(60))
        let held = try await slots.acquire()
        let waiter = Task { try await slots.acquire() }
        while slots.queued == 0 { await Task.yield() }
        waiter.cancel()
        let result = await waiter.result
        #expect(throws: GatewayError.transferCancelled) { try result.get() }
        #expect(slots.queued == 0)
        held.release()
        #expect(slots.inUse == 0)
    }

    @Test func aBodyHoldsItsSlotUntilItEnds() async throws {
        let slots = UpstreamSlots(limit: 1, queueTimeout: .seconds(60))
        let body = try await slots.acquire().holding(Body([1, 2, 3]))
        #expect(slots.inUse == 1)
        let collected = try await body.collect(upTo: 16)
        #expect(collected.readableBytes == 3)
        #expect(slots.inUse == 0)
    }

    @Test func aBodyDroppedUnreadGivesItsSlotBack() async throws {
        let slots = UpstreamSlots(limit: 1, queueTimeout: .seconds(60))
        var body: Body? = try await slots.acquire().holding(Body([1, 2, 3]))
        #expect(slots.inUse == 1)
        #expect(body?.length == .known(3))
        body = nil
        #expect(slots.inUse == 0)
    }
}
