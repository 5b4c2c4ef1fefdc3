import FilegateGateway
import NIOCore
import Testing

@testable import FilegateHTTP

/// `ConnectionTimer.StateMachine` driven event by event: which wait runs, when it runs out, what is scheduled.
@Suite struct ConnectionTimerStateMachineTests {
    typealias Machine = ConnectionTimer.StateMachine

    static let timeouts = ConnectionTimeouts(
        header: .seconds(10),
        body: .seconds(20),
        keepAlive: .seconds(15),
        send: .seconds(60)
    )
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    /// `seconds` after the connection's start.
    static func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    /// A machine whose first head came whole at 1 s and whose body ended; its first check (10 s) is still scheduled.
    static func afterFirstRequest() -> Machine {
        var machine = Machine(timeouts: timeouts, start: start)
        _ = machine.started()
        _ = machine.awaitingHead(now: at(0))
        _ = machine.headStarted(now: at(1))
        machine.headCompleted()
        machine.headReceived()
        machine.bodyEnded()
        return machine
    }

    @Test func aConnectionThatSendsNothingIsClosedSilentlyAtTheHeaderTimeout() {
        var machine = Machine(timeouts: Self.timeouts, start: Self.start)
        #expect(machine.started() == .schedule(Self.at(10)))
        #expect(machine.awaitingHead(now: Self.at(0)) == .none)
        #expect(machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10)) == .expire(.idle))
    }

    @Test func theFirstHeadCountsFromTheConnectionsStart() {
        var machine = Machine(timeouts: Self.timeouts, start: Self.start)
        _ = machine.started()
        #expect(machine.headStarted(now: Self.at(9)) == .none)
        #expect(machine.inbound == .head(since: Self.start))
        #expect(machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10)) == .expire(.head))
    }

    @Test func aWholeHeadStopsTheHeaderTimer() {
        var machine = Self.afterFirstRequest()
        #expect(machine.inbound == .between)
        #expect(machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10)) == .none)
    }

    @Test func anIdleConnectionIsClosedAtTheKeepAliveTimeout() {
        var machine = Self.afterFirstRequest()
        #expect(machine.awaitingHead(now: Self.at(2)) == .none)
        #expect(machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10)) == .schedule(Self.at(17)))
        #expect(machine.checkDue(scheduledFor: Self.at(17), now: Self.at(17)) == .expire(.idle))
    }

    @Test func aLaterHeadCountsFromItsFirstByte() {
        var machine = Self.afterFirstRequest()
        _ = machine.awaitingHead(now: Self.at(2))
        _ = machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10))
        #expect(machine.headStarted(now: Self.at(16)) == .none)
        #expect(machine.checkDue(scheduledFor: Self.at(17), now: Self.at(17)) == .schedule(Self.at(26)))
        #expect(machine.checkDue(scheduledFor: Self.at(26), now: Self.at(26)) == .expire(.head))
    }

    @Test func aHeadParsedWhileTheLoopWasBusyRunsNoTimer() {
        var machine = Self.afterFirstRequest()
        _ = machine.headStarted(now: Self.at(2))
        machine.headCompleted()
        machine.bodyEnded()
        #expect(machine.awaitingHead(now: Self.at(5)) == .none)
        machine.headReceived()
        #expect(machine.inbound == .between)
        #expect(machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10)) == .none)
    }

    @Test func theBodyTimerRunsOnlyWhileTheGatewayWaitsForBytes() {
        var machine = Self.afterFirstRequest()
        #expect(machine.bodyWaitBegan(now: Self.at(1)) == .none)
        #expect(machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10)) == .schedule(Self.at(21)))
        machine.bodyWaitEnded()
        #expect(machine.bodyWaitBegan(now: Self.at(15)) == .none)
        #expect(machine.checkDue(scheduledFor: Self.at(21), now: Self.at(21)) == .schedule(Self.at(35)))
        machine.bodyWaitEnded()
        #expect(machine.checkDue(scheduledFor: Self.at(35), now: Self.at(35)) == .none)
        #expect(machine.bodyWaitBegan(now: Self.at(100)) == .schedule(Self.at(120)))
        #expect(machine.checkDue(scheduledFor: Self.at(120), now: Self.at(120)) == .expire(.body))
    }

    @Test func theSendTimerRunsOnlyWhileAWriteWaits() {
        var machine = Self.afterFirstRequest()
        _ = machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10))
        #expect(machine.sendWaitBegan(now: Self.at(11)) == .schedule(Self.at(71)))
        machine.sendWaitEnded()
        #expect(machine.checkDue(scheduledFor: Self.at(71), now: Self.at(71)) == .none)
        #expect(machine.sendWaitBegan(now: Self.at(80)) == .schedule(Self.at(140)))
        #expect(machine.checkDue(scheduledFor: Self.at(140), now: Self.at(140)) == .expire(.send))
    }

    @Test func anEarlierDeadlineIsScheduledAndTheLaterCheckIsStale() {
        var machine = Self.afterFirstRequest()
        _ = machine.checkDue(scheduledFor: Self.at(10), now: Self.at(10))
        #expect(machine.sendWaitBegan(now: Self.at(11)) == .schedule(Self.at(71)))
        machine.sendWaitEnded()
        #expect(machine.awaitingHead(now: Self.at(12)) == .schedule(Self.at(27)))
        #expect(machine.checkDue(scheduledFor: Self.at(71), now: Self.at(71)) == .none)
        #expect(machine.checkDue(scheduledFor: Self.at(27), now: Self.at(27)) == .expire(.idle))
    }

    @Test func aCheckThatRunsEarlyIsScheduledAgain() {
        var machine = Machine(timeouts: Self.timeouts, start: Self.start)
        _ = machine.started()
        #expect(machine.checkDue(scheduledFor: Self.at(10), now: Self.at(9)) == .schedule(Self.at(10)))
    }

    @Test func nothingRunsOutAfterAnExpiryOrTheClose() {
        var expired = Machine(timeouts: Self.timeouts, start: Self.start)
        _ = expired.started()
        _ = expired.checkDue(scheduledFor: Self.at(10), now: Self.at(10))
        #expect(expired.bodyWaitBegan(now: Self.at(11)) == .none)
        var closed = Self.afterFirstRequest()
        closed.closed()
        #expect(closed.sendWaitBegan(now: Self.at(2)) == .none)
        #expect(closed.checkDue(scheduledFor: Self.at(10), now: Self.at(10)) == .none)
    }
}
