import FilegateCore
import FilegateWire
import NIOCore
import Testing

@testable import FilegateRemote

/// `Transfer.StateMachine` driven event by event, every action asserted.
@Suite struct TransferStateMachineTests {
    typealias Machine = Transfer.StateMachine

    static let head = ResponseHead(status: 200, headers: ["Content-Length": "3"])
    static let failure = GatewayError(.badGateway, "cut")

    static func machine(hasRequestBody: Bool = false, headWaitsForBody: Bool = false) -> Machine {
        Machine(
            hasRequestBody: hasRequestBody,
            headWaitsForBody: headWaitsForBody,
            download: BoundedByteQueue(highWatermark: 64, lowWatermark: 16),
            upload: BoundedByteQueue(highWatermark: 64, lowWatermark: 16)
        )
    }

    static func bytes(_ count: Int, _ value: UInt8 = 1) -> ByteBuffer {
        ByteBuffer(bytes: [UInt8](repeating: value, count: count))
    }

    @Test func headArrivingBeforeTheCallerWaitsIsKeptForIt() {
        var machine = Self.machine()
        #expect(machine.receivedHead(Self.head) == .none)
        #expect(machine.headAwaitStarted() == .deliver(Self.head))
    }

    @Test func headArrivingWhileTheCallerWaitsWakesIt() {
        var machine = Self.machine()
        #expect(machine.headAwaitStarted() == .wait)
        #expect(machine.receivedHead(Self.head) == Machine.Wakeups(head: .success(Self.head)))
    }

    @Test func aHeldHeadWakesItsCallerOnceWithTheWholeBodyQueued() {
        var machine = Self.machine(headWaitsForBody: true)
        #expect(machine.headAwaitStarted() == .wait)
        #expect(machine.receivedHead(Self.head) == .none)
        #expect(machine.receivedBody(Self.bytes(2)) == .accept(.none))
        #expect(machine.receivedBody(Self.bytes(1)) == .accept(.none))
        #expect(machine.finished(.success(())) == Machine.Wakeups(head: .success(Self.head)))
        // The consumer never waits: every chunk and the end are there.
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(2), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(1), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .end)
    }

    @Test func aHeldHeadIsReleasedPastTheLowWatermarkBeforeCurlCouldPause() {
        var machine = Self.machine(headWaitsForBody: true)
        #expect(machine.headAwaitStarted() == .wait)
        _ = machine.receivedHead(Self.head)
        #expect(machine.receivedBody(Self.bytes(16)) == .accept(.none))
        #expect(machine.receivedBody(Self.bytes(1)) == .accept(Machine.Wakeups(head: .success(Self.head))))
        #expect(!machine.receivePaused)
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(16), resumeReceive: false))
    }

    @Test func aHeldHeadIsKeptForACallerThatWaitsLater() {
        var machine = Self.machine(headWaitsForBody: true)
        _ = machine.receivedHead(Self.head)
        #expect(machine.finished(.success(())) == .none)
        #expect(machine.headAwaitStarted() == .deliver(Self.head))
        #expect(machine.consumerRequestedNext() == .end)
    }

    @Test func aBodyCutBehindAHeldHeadHandsOverTheHeadThenTheFailure() {
        var machine = Self.machine(headWaitsForBody: true)
        #expect(machine.headAwaitStarted() == .wait)
        _ = machine.receivedHead(Self.head)
        _ = machine.receivedBody(Self.bytes(2))
        #expect(machine.finished(.failure(Self.failure)) == Machine.Wakeups(head: .success(Self.head)))
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(2), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .fail(Self.failure))
    }

    @Test func cancellingFailsTheCallerOfAHeldHead() {
        var machine = Self.machine(headWaitsForBody: true)
        #expect(machine.headAwaitStarted() == .wait)
        _ = machine.receivedHead(Self.head)
        let action = machine.cancelled(.transferCancelled)
        #expect(
            action
                == Machine.CancelAction(
                    wakeups: Machine.Wakeups(head: .failure(.transferCancelled)),
                    removeTransfer: true
                )
        )
    }

    @Test func chunkGoesStraightToAWaitingConsumer() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        #expect(machine.consumerRequestedNext() == .wait)
        #expect(machine.receivedBody(Self.bytes(8)) == .accept(Machine.Wakeups(consumer: .bytes(Self.bytes(8)))))
        #expect(machine.downloadedBytesBuffered == 0)
    }

    @Test func receivingPausesAboveTheHighWatermarkAndResumesAtTheLowOne() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        for index in 0..<4 {
            #expect(machine.receivedBody(Self.bytes(16, UInt8(index))) == .accept(.none))
        }
        #expect(machine.downloadedBytesBuffered == 64)
        // A chunk that would pass the high watermark is refused whole: curl delivers it again.
        #expect(machine.receivedBody(Self.bytes(16, 9)) == .refuse(.pause))
        #expect(machine.receivePaused)
        #expect(machine.receivePauseCount == 1)
        #expect(machine.peakDownloadBytes == 64)
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(16, 0), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(16, 1), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(16, 2), resumeReceive: true))
        #expect(!machine.receivePaused)
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(16, 3), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .wait)
    }

    @Test func admissionIsDecidedBeforeTheBytesAreCopied() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        #expect(machine.refusal(ofReceived: 48) == nil)
        _ = machine.receivedBody(Self.bytes(48))
        // 48 + 32 passes the high watermark of 64: curl is paused and nothing is queued.
        #expect(machine.refusal(ofReceived: 32) == .pause)
        #expect(machine.receivePaused)
        #expect(machine.downloadedBytesBuffered == 48)
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(48), resumeReceive: true))
        #expect(machine.refusal(ofReceived: 32) == nil)
        _ = machine.cancelled(.transferCancelled)
        #expect(machine.refusal(ofReceived: 1) == .abort)
    }

    @Test func anEmptyQueueTakesAChunkLargerThanTheBound() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        #expect(machine.receivedBody(Self.bytes(100)) == .accept(.none))
        #expect(machine.receivedBody(Self.bytes(1)) == .refuse(.pause))
    }

    @Test func completeBodyEndsAfterTheQueuedBytes() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        _ = machine.receivedBody(Self.bytes(3))
        #expect(machine.finished(.success(())) == .none)
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(3), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .end)
        #expect(machine.consumerRequestedNext() == .end)
    }

    @Test func cutBodyFailsAfterTheQueuedBytes() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        _ = machine.receivedBody(Self.bytes(3))
        _ = machine.finished(.failure(Self.failure))
        #expect(machine.consumerRequestedNext() == .deliver(Self.bytes(3), resumeReceive: false))
        #expect(machine.consumerRequestedNext() == .fail(Self.failure))
    }

    @Test func finishingWakesAWaitingConsumer() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        #expect(machine.consumerRequestedNext() == .wait)
        #expect(machine.finished(.failure(Self.failure)) == Machine.Wakeups(consumer: .failure(Self.failure)))
    }

    @Test func failureBeforeTheHeadFailsTheWaitingCaller() {
        var machine = Self.machine()
        #expect(machine.headAwaitStarted() == .wait)
        #expect(machine.finished(.failure(Self.failure)) == Machine.Wakeups(head: .failure(Self.failure)))
    }

    @Test func successWithoutAHeadIsABadGateway() {
        var machine = Self.machine()
        _ = machine.finished(.success(()))
        guard case .fail(let error) = machine.headAwaitStarted() else {
            Issue.record("the head wait should fail")
            return
        }
        #expect(error.code == .badGateway)
    }

    @Test func cancellingFailsEveryWaiterAtOnceAndAsksForRemoval() {
        var machine = Self.machine(hasRequestBody: true)
        #expect(machine.headAwaitStarted() == .wait)
        let cancelled = GatewayError.transferCancelled
        #expect(
            machine.cancelled(cancelled)
                == Machine.CancelAction(wakeups: Machine.Wakeups(head: .failure(cancelled)), removeTransfer: true)
        )
        #expect(machine.receivedBody(Self.bytes(1)) == .refuse(.abort))
        #expect(machine.readRequested(upTo: 10) == .abort)
        #expect(machine.producerAppended(Self.bytes(1)) == .stop)
        #expect(machine.consumerRequestedNext() == .fail(cancelled))
        // Cancelling twice, or the removal that follows, changes nothing more.
        #expect(machine.cancelled(Self.failure) == Machine.CancelAction(wakeups: .none, removeTransfer: false))
        #expect(machine.finished(.failure(Self.failure)) == .none)
    }

    @Test func cancellingAConsumerWaitingForBytes() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        _ = machine.receivedBody(Self.bytes(8))
        _ = machine.consumerRequestedNext()
        #expect(machine.consumerRequestedNext() == .wait)
        let action = machine.cancelled(.transferCancelled)
        #expect(
            action
                == Machine.CancelAction(
                    wakeups: Machine.Wakeups(consumer: .failure(.transferCancelled)),
                    removeTransfer: true
                )
        )
    }

    @Test func cancellingAfterCurlFinishedNeedsNoRemoval() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.head)
        _ = machine.receivedBody(Self.bytes(8))
        _ = machine.finished(.success(()))
        #expect(machine.cancelled(.transferCancelled) == Machine.CancelAction(wakeups: .none, removeTransfer: false))
        #expect(machine.downloadedBytesBuffered == 0)
    }

    @Test func uploadPausesWhileEmptyAndResumesForABatchAboveTheLowWatermark() {
        var machine = Self.machine(hasRequestBody: true)
        #expect(machine.readRequested(upTo: 10) == .pause)
        #expect(machine.sendPaused)
        #expect(machine.producerAppended(Self.bytes(15)) == .none)
        #expect(machine.sendPaused)
        #expect(machine.producerAppended(Self.bytes(5, 2)) == .resumeSend)
        #expect(!machine.sendPaused)
        #expect(machine.readRequested(upTo: 10) == .send(Self.bytes(10), .none))
        #expect(machine.readRequested(upTo: 10) == .send(Self.bytes(5), .none))
        #expect(machine.readRequested(upTo: 10) == .send(Self.bytes(5, 2), .none))
        #expect(machine.readRequested(upTo: 10) == .pause)
        #expect(machine.producerFinished() == .resumeSend)
        #expect(machine.readRequested(upTo: 10) == .end)
    }

    @Test func theEndOfTheBodyResumesAPausedUploadBelowTheLowWatermark() {
        var machine = Self.machine(hasRequestBody: true)
        #expect(machine.readRequested(upTo: 10) == .pause)
        #expect(machine.producerAppended(Self.bytes(3)) == .none)
        #expect(machine.producerFinished() == .resumeSend)
        #expect(machine.readRequested(upTo: 10) == .send(Self.bytes(3), .none))
        #expect(machine.readRequested(upTo: 10) == .end)
    }

    @Test func producerWaitsWhileTheUploadQueueIsFullAndGoesOnAtTheLowWatermark() {
        var machine = Self.machine(hasRequestBody: true)
        #expect(machine.producerRequestedRoom() == .proceed)
        #expect(machine.producerAppended(Self.bytes(64)) == .none)
        #expect(machine.producerRequestedRoom() == .wait)
        #expect(machine.readRequested(upTo: 40) == .send(Self.bytes(40), .none))
        #expect(machine.readRequested(upTo: 8) == .send(Self.bytes(8), Machine.Wakeups(producer: .proceed)))
        #expect(machine.uploadBytesBuffered == 16)
    }

    @Test func headBeforeTheBodyIsSentClosesTheUpload() {
        var machine = Self.machine(hasRequestBody: true)
        _ = machine.producerAppended(Self.bytes(64))
        #expect(machine.producerRequestedRoom() == .wait)
        #expect(machine.receivedHead(Self.head) == Machine.Wakeups(producer: .stop))
        #expect(machine.uploadState == .closed)
        #expect(machine.readRequested(upTo: 10) == .abort)
        #expect(machine.producerRequestedRoom() == .stop)
    }

    @Test func finishingStopsAWaitingProducer() {
        var machine = Self.machine(hasRequestBody: true)
        _ = machine.producerAppended(Self.bytes(64))
        _ = machine.producerRequestedRoom()
        #expect(machine.headAwaitStarted() == .wait)
        let wakeups = machine.finished(.failure(Self.failure))
        #expect(wakeups == Machine.Wakeups(head: .failure(Self.failure), producer: .stop))
    }

    @Test func failingRequestBodyCancelsOnlyWhileTheBodyIsWanted() {
        var machine = Self.machine(hasRequestBody: true)
        #expect(machine.headAwaitStarted() == .wait)
        let failure = GatewayError.invalidRequest("short")
        #expect(
            machine.producerFailed(failure)
                == Machine.CancelAction(wakeups: Machine.Wakeups(head: .failure(failure)), removeTransfer: true)
        )

        var answered = Self.machine(hasRequestBody: true)
        _ = answered.receivedHead(Self.head)
        #expect(answered.producerFailed(failure) == Machine.CancelAction(wakeups: .none, removeTransfer: false))
        #expect(answered.headAwaitStarted() == .deliver(Self.head))
    }

    @Test func bodilessRequestEndsAtTheFirstRead() {
        var machine = Self.machine(hasRequestBody: false)
        #expect(machine.readRequested(upTo: 10) == .end)
        #expect(machine.producerRequestedRoom() == .stop)
    }
}
