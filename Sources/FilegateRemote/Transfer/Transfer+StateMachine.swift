import FilegateCore
import FilegateWire
import NIOCore

extension Transfer {
    /// The pure state of one transfer, shared by the curl thread and the tasks that wait on it.
    ///
    /// Events say what happened (`receivedBody(_:)`, `consumerRequestedNext()`) and return what to do as a
    /// command (`.pause`, `.resumeReceive`); the owner holds it under a lock and acts after unlocking, as
    /// async-http-client's `Transaction` does. Three parties wait on it: the caller of `perform` (the head), the
    /// consumer of the response body, and the producer pulling the request body. No clock, no I/O: tests drive it
    /// event by event.
    struct StateMachine {
        /// The response head.
        /// `.pending` → `.arrived` (nobody waiting yet) → `.delivered`; `.pending` → `.delivered` (waited for);
        /// `.pending` → `.failed`; with `headWaitsForBody`, `.pending` → `.held` → `.arrived` or `.delivered`.
        enum HeadState: Hashable {
            case pending
            /// In, but kept from its waiter until the body ends or fills the download queue to its low watermark.
            case held(ResponseHead)
            case arrived(ResponseHead)
            case delivered
            case failed(GatewayError)
        }

        /// The request body as the producer feeds it.
        /// `.open` → `.finished` (all bytes appended) or `.closed` (the transfer ended or the upstream answered
        /// before wanting the rest; nothing more is taken).
        enum UploadState: Hashable {
            case open
            case finished
            case closed
        }

        /// How the response body ended on curl's side, once it has.
        enum DownloadEnd: Hashable {
            case complete
            case failed(GatewayError)
        }

        private(set) var head = HeadState.pending
        private var headAwaited = false
        /// Whether the head is handed over with its body (a JSON answer, read whole anyway): the waiter then wakes
        /// once, finding the body queued and ended, instead of once for the head, once per chunk and once at the end.
        private let headWaitsForBody: Bool
        private var download: BoundedByteQueue
        private var downloadEnd: DownloadEnd?
        private var consumerWaiting = false
        /// Whether the write callback last answered `CURL_WRITEFUNC_PAUSE` and no resume was asked for since.
        private(set) var receivePaused = false
        private var upload: BoundedByteQueue
        private(set) var uploadState: UploadState
        private var producerWaiting = false
        /// Whether the read callback last answered `CURL_READFUNC_PAUSE` and no resume was asked for since.
        private(set) var sendPaused = false
        /// Whether curl is done with the transfer (finished, failed or removed).
        private(set) var curlFinished = false
        /// Set once the transfer is cancelled: every waiter fails with it at once.
        private(set) var cancellation: GatewayError?
        /// How often receiving paused, and the most bytes the download queue held: the backpressure tests read them.
        private(set) var receivePauseCount = 0
        private(set) var peakDownloadBytes = 0

        /// A transfer whose request body, if any, the producer still has to feed.
        init(hasRequestBody: Bool, headWaitsForBody: Bool = false, download: BoundedByteQueue, upload: BoundedByteQueue)
        {
            self.headWaitsForBody = headWaitsForBody
            self.download = download
            self.upload = upload
            self.uploadState = hasRequestBody ? .open : .finished
        }

        var downloadedBytesBuffered: Int { download.byteCount }
        var uploadBytesBuffered: Int { upload.byteCount }

        // MARK: - Outcomes for the waiters

        /// What a waiting party is resumed with; `Wakeups` gathers them for the owner to hand out after unlocking.
        enum ConsumerOutcome: Hashable {
            case bytes(ByteBuffer)
            case end
            case failure(GatewayError)
        }

        /// Whether a producer waiting for room goes on or stops for good.
        enum ProducerOutcome: Hashable {
            case proceed
            case stop
        }

        /// The waiters to resume after an event, each at most once.
        struct Wakeups: Hashable {
            var head: Result<ResponseHead, GatewayError>?
            var consumer: ConsumerOutcome?
            var producer: ProducerOutcome?

            static let none = Wakeups()
        }

        // MARK: - The response head

        /// What the caller of `perform` does when it starts waiting for the head.
        enum HeadWait: Hashable {
            case wait
            case deliver(ResponseHead)
            case fail(GatewayError)
        }

        /// The caller of `perform` waits for the head.
        mutating func headAwaitStarted() -> HeadWait {
            if let cancellation { return .fail(cancellation) }
            switch head {
            case .pending, .held:
                headAwaited = true
                return .wait
            case .arrived(let response):
                head = .delivered
                return .deliver(response)
            case .failed(let error):
                return .fail(error)
            case .delivered:
                preconditionFailure("the head is awaited once")
            }
        }

        /// curl parsed a final (non-1xx) response head. A request body the upstream has not wanted yet is closed:
        /// an upstream that answers early does not read the rest (RFC 9112 §9.5; curl stops sending).
        mutating func receivedHead(_ response: ResponseHead) -> Wakeups {
            guard cancellation == nil, case .pending = head else { return .none }
            var wakeups = Wakeups.none
            if headWaitsForBody {
                head = .held(response)
            } else {
                wakeups.head = handOver(response)
            }
            if uploadState == .open {
                uploadState = .closed
                upload.removeAll()
                wakeups.producer = takeProducer(.stop)
            }
            return wakeups
        }

        // MARK: - The response body

        /// What the write callback answers curl.
        enum ReceiveAction: Hashable {
            /// The chunk was taken (queued, or handed to the waiting consumer in `Wakeups`).
            case accept(Wakeups)
            /// The chunk was refused and nothing kept.
            case refuse(ReceiveRefusal)
        }

        /// Why the write callback refuses bytes.
        enum ReceiveRefusal: Hashable {
            /// Answer `CURL_WRITEFUNC_PAUSE`: curl delivers the same bytes again on resume.
            case pause
            /// Answer a short count, so curl fails the transfer: nobody wants the bytes any more.
            case abort
        }

        /// The write callback has `count` bytes: `.pause` or `.abort` when they are refused, nil when
        /// `receivedBody(_:)` will take them. Asked before the bytes are copied out of curl's buffer, so a refused
        /// chunk costs no copy; only the curl thread adds to the queue, so room found here is still there.
        mutating func refusal(ofReceived count: Int) -> ReceiveRefusal? {
            guard cancellation == nil else { return .abort }
            guard consumerWaiting || download.canAccept(count) else {
                receivePaused = true
                receivePauseCount += 1
                return .pause
            }
            return nil
        }

        /// The write callback has a chunk of the response body.
        mutating func receivedBody(_ chunk: ByteBuffer) -> ReceiveAction {
            if let refusal = refusal(ofReceived: chunk.readableBytes) { return .refuse(refusal) }
            if consumerWaiting {
                consumerWaiting = false
                return .accept(Wakeups(consumer: .bytes(chunk)))
            }
            download.append(chunk)
            peakDownloadBytes = max(peakDownloadBytes, download.byteCount)
            // Released below the high watermark, so a held head never leaves curl paused with nobody to drain it.
            if case .held(let response) = head, !download.isDrained {
                return .accept(Wakeups(head: handOver(response)))
            }
            return .accept(.none)
        }

        /// What the consumer of the response body does next.
        enum ConsumerStep: Hashable {
            /// Take this chunk; when `resumeReceive`, first ask the curl thread to unpause receiving.
            case deliver(ByteBuffer, resumeReceive: Bool)
            case end
            case fail(GatewayError)
            case wait
        }

        /// The consumer asks for the next chunk of the response body.
        mutating func consumerRequestedNext() -> ConsumerStep {
            if let cancellation { return .fail(cancellation) }
            if let chunk = download.popFirst() {
                let resume = receivePaused && download.isDrained
                if resume { receivePaused = false }
                return .deliver(chunk, resumeReceive: resume)
            }
            switch downloadEnd {
            case .complete?:
                return .end
            case .failed(let error)?:
                return .fail(error)
            case nil:
                precondition(!receivePaused, "receiving pauses only with bytes queued")
                consumerWaiting = true
                return .wait
            }
        }

        // MARK: - The request body

        /// What the read callback answers curl.
        enum ReadAction: Hashable {
            /// Copy these bytes into curl's buffer, then hand out `Wakeups` (a producer waiting for room).
            case send(ByteBuffer, Wakeups)
            /// Answer `CURL_READFUNC_PAUSE`: the producer has not caught up.
            case pause
            /// Answer 0: the body is complete, and the first-byte timeout starts now.
            case end
            /// Answer `CURL_READFUNC_ABORT`.
            case abort
        }

        /// The read callback wants up to `limit` bytes of the request body.
        mutating func readRequested(upTo limit: Int) -> ReadAction {
            guard cancellation == nil else { return .abort }
            if let chunk = upload.popFirst(upTo: limit) {
                var wakeups = Wakeups.none
                if producerWaiting && upload.isDrained {
                    wakeups.producer = takeProducer(.proceed)
                }
                return .send(chunk, wakeups)
            }
            switch uploadState {
            case .open:
                sendPaused = true
                return .pause
            case .finished:
                return .end
            case .closed:
                return .abort
            }
        }

        /// What the producer does after appending.
        enum AppendAction: Hashable {
            /// Nothing: curl is not waiting for bytes.
            case none
            /// Ask the curl thread to unpause sending.
            case resumeSend
            /// Stop feeding: the transfer ended or no longer wants the body.
            case stop
        }

        /// The producer has the next chunk of the request body.
        mutating func producerAppended(_ chunk: ByteBuffer) -> AppendAction {
            guard cancellation == nil, uploadState == .open else { return .stop }
            upload.append(chunk)
            // A paused curl is woken for a batch, not for each chunk: one wakeup per low watermark's worth of
            // bytes. The producer only waits above the high watermark, so the batch always comes.
            guard !upload.isDrained else { return .none }
            return takeSendPause()
        }

        /// The producer has appended the whole request body.
        mutating func producerFinished() -> AppendAction {
            guard cancellation == nil, uploadState == .open else { return .stop }
            uploadState = .finished
            return takeSendPause()
        }

        /// The request body failed, or did not match its declared length: the transfer is cancelled, unless the
        /// body is no longer wanted (the answer came first, or the transfer already ended).
        mutating func producerFailed(_ error: GatewayError) -> CancelAction {
            guard uploadState == .open else { return CancelAction(wakeups: .none, removeTransfer: false) }
            return cancelled(error)
        }

        /// What the producer does before pulling the next chunk.
        enum SpaceCheck: Hashable {
            case proceed
            case wait
            case stop
        }

        /// The producer asks whether there is room for more.
        mutating func producerRequestedRoom() -> SpaceCheck {
            guard cancellation == nil, uploadState == .open else { return .stop }
            guard upload.isFull else { return .proceed }
            producerWaiting = true
            return .wait
        }

        // MARK: - The end

        /// curl is done with the transfer: `CURLMSG_DONE`, or removed from the multi handle after a cancel.
        /// Closes both queues' far ends so a waiting consumer or producer wakes.
        mutating func finished(_ outcome: Result<Void, GatewayError>) -> Wakeups {
            guard !curlFinished else { return .none }
            curlFinished = true
            var wakeups = Wakeups.none
            if uploadState == .open {
                uploadState = .closed
            }
            upload.removeAll()
            wakeups.producer = takeProducer(.stop)
            guard cancellation == nil else { return wakeups }
            let failure: GatewayError?
            switch (outcome, head) {
            case (.failure(let error), _):
                failure = error
            case (.success, .pending):
                failure = GatewayError(.badGateway, "The upstream sent no response.")
            case (.success, _):
                failure = nil
            }
            if case .pending = head, let failure {
                head = .failed(failure)
                if headAwaited {
                    wakeups.head = .failure(failure)
                }
            }
            if case .held(let response) = head {
                wakeups.head = handOver(response)
            }
            downloadEnd = failure.map(DownloadEnd.failed) ?? .complete
            if consumerWaiting {
                consumerWaiting = false
                wakeups.consumer = failure.map(ConsumerOutcome.failure) ?? .end
            }
            return wakeups
        }

        /// What cancelling leads to.
        struct CancelAction: Hashable {
            var wakeups: Wakeups
            /// Whether the curl thread must still take the transfer out of the multi handle.
            var removeTransfer: Bool
        }

        /// The transfer is cancelled: its caller or body consumer went away, the request body failed, the
        /// first-byte timeout passed, or the loop shuts down. Every waiter fails with `error` at once.
        mutating func cancelled(_ error: GatewayError) -> CancelAction {
            guard cancellation == nil else { return CancelAction(wakeups: .none, removeTransfer: false) }
            cancellation = error
            download.removeAll()
            upload.removeAll()
            var wakeups = Wakeups.none
            switch head {
            case .pending, .held:
                head = .failed(error)
                if headAwaited { wakeups.head = .failure(error) }
            case .arrived, .delivered, .failed:
                break
            }
            if consumerWaiting {
                consumerWaiting = false
                wakeups.consumer = .failure(error)
            }
            wakeups.producer = takeProducer(.stop)
            return CancelAction(wakeups: wakeups, removeTransfer: !curlFinished)
        }

        // MARK: - Helpers

        /// The head for its waiter when there is one (then `.delivered`), else kept for `headAwaitStarted()`.
        private mutating func handOver(_ response: ResponseHead) -> Result<ResponseHead, GatewayError>? {
            guard headAwaited else {
                head = .arrived(response)
                return nil
            }
            head = .delivered
            return .success(response)
        }

        private mutating func takeProducer(_ outcome: ProducerOutcome) -> ProducerOutcome? {
            guard producerWaiting else { return nil }
            producerWaiting = false
            return outcome
        }

        private mutating func takeSendPause() -> AppendAction {
            guard sendPaused else { return .none }
            sendPaused = false
            return .resumeSend
        }
    }
}
