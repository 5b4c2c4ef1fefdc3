import FilegateCore
import FilegateWire
import NIOConcurrencyHelpers
import NIOCore

/// One upstream exchange in flight, between the curl thread and the tasks that wait on it.
///
/// It holds the `StateMachine` and the continuations of its three waiters (the caller of `perform` waiting for the
/// head, the consumer of the response body, the producer pulling the request body) under one lock, and acts on the
/// machine's answers after unlocking (STYLE.md §6). The curl thread reaches it through `AttachedTransfer`'s
/// callbacks; the tasks reach curl only by submitting commands to the `CurlLoop`.
final class Transfer: Sendable {
    /// The download queue pauses curl when a batch (`AttachedTransfer.receiveBatchBytes`, 512 KiB) would take it
    /// past 2 MiB and resumes it at 1 MiB: the queue holds a few batches, so curl and the client socket both
    /// stay busy between pauses, and a resumed transfer has room for the bytes curl delivers again.
    static let downloadWatermarks = (high: 2048 * 1024, low: 1024 * 1024)
    /// The upload queue stops the producer above 1 MiB and lets it go on at 512 KiB; a paused curl is woken once
    /// it holds more than 512 KiB (or the body ended). With 256/64 KiB and a wakeup per chunk, a 1 GiB upload
    /// took 18,000-21,500 context switches between the event loop and the curl thread on one CPU; now about 4,500.
    static let uploadWatermarks = (high: 1024 * 1024, low: 512 * 1024)

    let request: UpstreamRequest
    /// The exact number of request-body bytes, 0 without a body.
    let requestBodyLength: Int64
    private let loop: CurlLoop
    /// NIO's pthread lock rather than `Synchronization.Mutex`: on Linux the latter is a priority-inheritance
    /// futex that spins before sleeping, and with the proxy pinned to one core (`make bench`) the curl thread
    /// spent 7% of its samples spinning on or sleeping in it while the holder could not run.
    private let storage: NIOLockedValueBox<Storage>

    private typealias HeadContinuation = CheckedContinuation<Result<ResponseHead, GatewayError>, Never>
    private typealias ConsumerContinuation = CheckedContinuation<StateMachine.ConsumerOutcome, Never>
    private typealias ProducerContinuation = CheckedContinuation<StateMachine.ProducerOutcome, Never>

    /// The machine and whoever waits on it; a continuation is stored exactly while the machine records that
    /// party as waiting.
    private struct Storage {
        var machine: StateMachine
        var headWaiter: HeadContinuation?
        var consumer: ConsumerContinuation?
        var producer: ProducerContinuation?

        /// Takes out the continuations `wakeups` names, to resume after unlocking.
        mutating func take(_ wakeups: StateMachine.Wakeups) -> Resumptions {
            var resumptions = Resumptions()
            if let head = wakeups.head, let waiter = headWaiter {
                headWaiter = nil
                resumptions.head = (waiter, head)
            }
            if let outcome = wakeups.consumer, let consumer {
                self.consumer = nil
                resumptions.consumer = (consumer, outcome)
            }
            if let outcome = wakeups.producer, let producer {
                self.producer = nil
                resumptions.producer = (producer, outcome)
            }
            return resumptions
        }
    }

    /// Continuations taken out under the lock with what to resume them with.
    private struct Resumptions {
        var head: (HeadContinuation, Result<ResponseHead, GatewayError>)?
        var consumer: (ConsumerContinuation, StateMachine.ConsumerOutcome)?
        var producer: (ProducerContinuation, StateMachine.ProducerOutcome)?

        func resume() {
            if let (continuation, value) = head { continuation.resume(returning: value) }
            if let (continuation, value) = consumer { continuation.resume(returning: value) }
            if let (continuation, value) = producer { continuation.resume(returning: value) }
        }
    }

    init(request: UpstreamRequest, loop: CurlLoop) {
        self.request = request
        self.loop = loop
        if case .known(let length)? = request.body?.length {
            requestBodyLength = length
        } else {
            requestBodyLength = 0
        }
        let machine = StateMachine(
            hasRequestBody: request.body != nil,
            headWaitsForBody: !request.receivesContent,
            download: BoundedByteQueue(
                highWatermark: Self.downloadWatermarks.high,
                lowWatermark: Self.downloadWatermarks.low
            ),
            upload: BoundedByteQueue(
                highWatermark: Self.uploadWatermarks.high,
                lowWatermark: Self.uploadWatermarks.low
            )
        )
        storage = NIOLockedValueBox(Storage(machine: machine))
    }

    // MARK: - Counters, for tests and logs

    /// How often curl was paused for a full download queue.
    var receivePauseCount: Int { storage.withLockedValue { $0.machine.receivePauseCount } }
    /// The most bytes the download queue ever held.
    var peakDownloadBytes: Int { storage.withLockedValue { $0.machine.peakDownloadBytes } }
    /// The bytes the download queue holds now.
    var downloadBytesBuffered: Int { storage.withLockedValue { $0.machine.downloadedBytesBuffered } }
    /// Whether curl is paused for a full download queue now.
    var isReceivePaused: Bool { storage.withLockedValue { $0.machine.receivePaused } }

    // MARK: - The curl thread's side

    /// What the write callback answers.
    enum ReceiveResult {
        case accepted
        case pause
        case abort
    }

    /// Whether the write callback may take `count` more bytes; refused bytes are never copied, and curl delivers
    /// them again on resume.
    func admitReceived(count: Int) -> ReceiveResult {
        switch storage.withLockedValue({ $0.machine.refusal(ofReceived: count) }) {
        case .pause?: return .pause
        case .abort?: return .abort
        case nil: return .accepted
        }
    }

    /// Response-body bytes admitted by `admitReceived(count:)` (at most that many): queued, or handed to the
    /// waiting consumer. Only the curl thread adds bytes, so room found at admission is still there.
    func receivedBody(_ chunk: ByteBuffer) {
        storage.withLockedValue { storage in
            guard case .accept(let wakeups) = storage.machine.receivedBody(chunk) else { return Resumptions() }
            return storage.take(wakeups)
        }.resume()
    }

    /// What the read callback answers.
    enum ReadResult: Equatable {
        case copied(Int)
        case pause
        case end
        case abort
    }

    /// Fills curl's upload buffer: the slice is taken under the lock, the bytes copied after it.
    func readRequested(into buffer: UnsafeMutableRawBufferPointer) -> ReadResult {
        let (action, resumptions) = storage.withLockedValue { storage -> (StateMachine.ReadAction, Resumptions) in
            let action = storage.machine.readRequested(upTo: buffer.count)
            guard case .send(_, let wakeups) = action else { return (action, Resumptions()) }
            return (action, storage.take(wakeups))
        }
        resumptions.resume()
        switch action {
        case .send(let chunk, _):
            return .copied(chunk.copyReadableBytes(intoCurlBuffer: buffer))
        case .pause: return .pause
        case .end: return .end
        case .abort: return .abort
        }
    }

    /// The final response head is in.
    func receivedHead(_ head: ResponseHead) {
        storage.withLockedValue { $0.take($0.machine.receivedHead(head)) }.resume()
    }

    /// curl is done with the transfer, or it never started.
    func finished(_ outcome: Result<Void, GatewayError>) {
        storage.withLockedValue { $0.take($0.machine.finished(outcome)) }.resume()
    }

    /// Marks the transfer cancelled and wakes every waiter with `error`; true when the curl thread must still take
    /// it out of the multi handle. The curl thread calls this itself for a timeout or shutdown.
    func markCancelled(_ error: GatewayError) -> Bool {
        let (action, resumptions) = storage.withLockedValue { storage in
            let action = storage.machine.cancelled(error)
            return (action, storage.take(action.wakeups))
        }
        resumptions.resume()
        return action.removeTransfer
    }

    /// Whether the transfer was cancelled before the curl thread started it.
    var isCancelled: Bool { storage.withLockedValue { $0.machine.cancellation != nil } }

    // MARK: - The tasks' side

    /// Cancels the transfer from any task: waiters fail at once, and the curl thread removes it.
    func cancel(_ error: GatewayError) {
        if markCancelled(error) {
            loop.submit(.cancel(self))
        }
    }

    /// Waits for the final response head, or the error that ended the transfer first.
    func awaitHead() async -> Result<ResponseHead, GatewayError> {
        await withCheckedContinuation { (continuation: HeadContinuation) in
            let immediate: Result<ResponseHead, GatewayError>? = storage.withLockedValue { storage in
                switch storage.machine.headAwaitStarted() {
                case .wait:
                    storage.headWaiter = continuation
                    return nil
                case .deliver(let head):
                    return .success(head)
                case .fail(let error):
                    return .failure(error)
                }
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }

    /// The next chunk of the response body, nil at its end; throws when it was cut or the transfer cancelled.
    /// A cancelled consumer cancels the transfer.
    func nextChunk() async throws(GatewayError) -> ByteBuffer? {
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: ConsumerContinuation) in
                let (immediate, resume) = storage.withLockedValue { storage -> (StateMachine.ConsumerOutcome?, Bool) in
                    switch storage.machine.consumerRequestedNext() {
                    case .deliver(let chunk, let resumeReceive):
                        return (.bytes(chunk), resumeReceive)
                    case .end:
                        return (.end, false)
                    case .fail(let error):
                        return (.failure(error), false)
                    case .wait:
                        storage.consumer = continuation
                        return (nil, false)
                    }
                }
                if resume { loop.submit(.resumeReceive(self)) }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            cancel(.transferCancelled)
        }
        switch outcome {
        case .bytes(let chunk): return chunk
        case .end: return nil
        case .failure(let error): throw error
        }
    }

    /// Pulls the request body into the upload queue, waiting while it is full, until the body ends or the
    /// transfer no longer wants it. A body that fails, or yields more or fewer bytes than its declared length
    /// (curl sends exactly that many), cancels the transfer while it still wants the body.
    func pumpRequestBody(_ body: Body) async {
        var sent: Int64 = 0
        do {
            for try await chunk in body {
                sent += Int64(chunk.readableBytes)
                guard sent <= requestBodyLength else {
                    producerFailed(.invalidRequest("The request body is longer than its declared length."))
                    return
                }
                let action = storage.withLockedValue { $0.machine.producerAppended(chunk) }
                switch action {
                case .stop: return
                case .resumeSend: loop.submit(.resumeSend(self))
                case .none: break
                }
                guard await waitForRoom() else { return }
            }
        } catch {
            producerFailed(error as? GatewayError ?? .requestBodyFailed(error))
            return
        }
        guard sent == requestBodyLength else {
            producerFailed(.invalidRequest("The request body ended before its declared length."))
            return
        }
        if storage.withLockedValue({ $0.machine.producerFinished() }) == .resumeSend {
            loop.submit(.resumeSend(self))
        }
    }

    private func producerFailed(_ error: GatewayError) {
        let (action, resumptions) = storage.withLockedValue { storage in
            let action = storage.machine.producerFailed(error)
            return (action, storage.take(action.wakeups))
        }
        resumptions.resume()
        if action.removeTransfer {
            loop.submit(.cancel(self))
        }
    }

    /// Waits until the upload queue has room; false when the producer should stop.
    private func waitForRoom() async -> Bool {
        let outcome = await withCheckedContinuation { (continuation: ProducerContinuation) in
            let immediate: StateMachine.ProducerOutcome? = storage.withLockedValue { storage in
                switch storage.machine.producerRequestedRoom() {
                case .proceed: return .proceed
                case .stop: return .stop
                case .wait:
                    storage.producer = continuation
                    return nil
                }
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
        return outcome == .proceed
    }
}

extension GatewayError {
    /// The transfer was cancelled because its caller or the consumer of its body went away.
    static let transferCancelled = GatewayError(.badGateway, "The upstream transfer was cancelled.")

    /// The request body failed while it was being sent upstream.
    static func requestBodyFailed(_ error: any Error) -> GatewayError {
        GatewayError(.invalidRequest, "The request body could not be read.", underlying: "\(error)")
    }
}
