import CFilegateCurl
import FilegateCore
import Glibc
import Logging

/// The curl thread's state and loop: the multi and share handles, the epoll set, the timerfd, the transfers.
///
/// curl says through `CURLMOPT_SOCKETFUNCTION` which sockets to watch and through `CURLMOPT_TIMERFUNCTION` when
/// to call it back; the reactor keeps both in an epoll set it owns, with the eventfd that `CurlLoop.submit(_:)`
/// writes and a timerfd armed for the earliest of curl's deadline and the transfers' first-byte deadlines. It
/// never calls `curl_multi_socket_action` from a callback and passes epoll's real events as `CURL_CSELECT_*`
/// bits (DESIGN.md). Confined to the curl thread: created, run and torn down there.
final class CurlReactor {
    private let loop: CurlLoop
    private let logger: Logger
    private var multi: MultiHandle?
    private var share: ShareHandle?
    private let epollFD: Int32
    private let timerFD: Int32
    private let wakeFD: Int32
    /// The sockets curl asked to watch, all in the epoll set.
    private var watchedSockets = Set<Int32>()
    /// Sockets curl stopped watching (`CURL_POLL_REMOVE`: an idle connection back in its cache) that are left in the
    /// epoll set, so that reusing the connection costs one `epoll_ctl` (MOD) instead of two (DEL, then ADD): 6-14 µs
    /// less of the curl thread's CPU per small GET. Their entries may be stale: a socket curl closed left
    /// the set with its descriptor, and the number may now name another socket, so taking one back always goes
    /// through `epoll_ctl`, and ADD follows a MOD that finds nothing. One that reports an event is removed then.
    private var parkedSockets = Set<Int32>()
    /// curl's one deadline (`CURLMOPT_TIMERFUNCTION`); nil when it has none.
    private var curlDeadline: MonotonicInstant?
    /// What the timerfd is armed for now.
    private var armedDeadline: MonotonicInstant?
    private var attached: [ObjectIdentifier: AttachedTransfer] = [:]
    private let easyHandles = EasyHandlePool(capacity: 64)
    /// Transfers that gathered response bytes in the current round of curl's callbacks.
    private var startedBatches: [AttachedTransfer] = []
    private var stopping = false

    init(loop: CurlLoop, maxOpenConnections: Int, logger: Logger) throws(CurlError) {
        self.loop = loop
        self.logger = logger
        var opened: [Int32] = []
        func open(_ call: String, _ descriptor: Int32) throws(CurlError) -> Int32 {
            guard descriptor >= 0 else {
                let number = errno
                for descriptor in opened { close(descriptor) }
                throw CurlError(.system(call, number))
            }
            opened.append(descriptor)
            return descriptor
        }
        epollFD = try open("epoll_create1", epoll_create1(Int32(EPOLL_CLOEXEC)))
        timerFD = try open("timerfd_create", timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK)))
        wakeFD = try open("eventfd", eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK)))
        do {
            let multi = try MultiHandle()
            try multi.set(maxConnects: maxOpenConnections)
            self.multi = multi
            share = try ShareHandle()
            try watch(timerFD, events: fg_EPOLLIN)
            try watch(wakeFD, events: fg_EPOLLIN)
        } catch {
            multi = nil
            share = nil
            for descriptor in opened { close(descriptor) }
            throw error
        }
    }

    /// Runs until a `.shutdown` command, then tears everything down.
    func run() {
        do {
            let context = Unmanaged.passUnretained(self).toOpaque()
            try multi?.set(socketFunction: reactorSocketCallback, userData: context)
            try multi?.set(timerFunction: reactorTimerCallback, userData: context)
        } catch {
            logger.error("The curl multi handle could not be set up", metadata: [LogKey.error: "\(error)"])
            tearDown()
            return
        }
        loop.started(wakeFD: wakeFD)
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            for command in loop.takeCommands() {
                handle(command)
            }
            if stopping { break }
            runDueTimers()
            collectFinished()
            armTimer()
            let count = epoll_wait(epollFD, &events, Int32(events.count), -1)
            if count < 0 {
                if errno == EINTR { continue }
                logger.error("epoll_wait failed", metadata: [LogKey.error: "errno \(errno)"])
                break
            }
            for event in events.prefix(Int(count)) {
                dispatch(event)
            }
            collectFinished()
        }
        tearDown()
    }

    // MARK: - Events

    private func dispatch(_ event: epoll_event) {
        let descriptor = event.data.fd
        if descriptor == wakeFD {
            var value: eventfd_t = 0
            eventfd_read(wakeFD, &value)
        } else if descriptor == timerFD {
            var expirations: UInt64 = 0
            _ = read(timerFD, &expirations, MemoryLayout<UInt64>.size)
            armedDeadline = nil
        } else if parkedSockets.remove(descriptor) != nil {
            // An idle connection's peer closed it or wrote to it: curl finds out when it reuses the connection. Left
            // in the set, the socket would be reported on every epoll_wait.
            _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, descriptor, nil)
            loop.parkedSocketReported()
        } else if watchedSockets.contains(descriptor) {
            var bits: Int32 = 0
            if event.events & fg_EPOLLIN != 0 { bits |= fg_CURL_CSELECT_IN }
            if event.events & fg_EPOLLOUT != 0 { bits |= fg_CURL_CSELECT_OUT }
            if event.events & fg_EPOLLHUP != 0 { bits |= fg_CURL_CSELECT_IN }
            if event.events & fg_EPOLLERR != 0 { bits |= fg_CURL_CSELECT_ERR }
            socketAction(descriptor, bits)
        }
    }

    private func socketAction(_ socket: curl_socket_t, _ bits: Int32) {
        do {
            try multi?.socketAction(socket, events: bits)
        } catch {
            logger.error("curl_multi_socket_action failed", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// Acts on curl's deadline (`0` from the timer callback means now) and on passed first-byte deadlines.
    private func runDueTimers() {
        while let deadline = curlDeadline, deadline <= MonotonicInstant.now() {
            curlDeadline = nil
            socketAction(fg_CURL_SOCKET_TIMEOUT, 0)
        }
        let now = MonotonicInstant.now()
        let late = attached.values.filter { ($0.firstByteDeadline.map { $0 <= now }) ?? false }
        for transfer in late {
            let timeout = transfer.transfer.request.firstByteTimeout
            abort(transfer, CurlError(.firstByteTimeout(timeout)).gatewayError)
        }
    }

    /// Arms the timerfd for the earliest deadline, or disarms it.
    private func armTimer() {
        let deadlines = attached.values.compactMap(\.firstByteDeadline) + [curlDeadline].compactMap { $0 }
        let earliest = deadlines.min()
        guard earliest != armedDeadline else { return }
        armedDeadline = earliest
        var setting = itimerspec()
        if let earliest {
            // An absolute time in the past fires at once; zero would disarm, so never pass zero.
            setting.it_value = MonotonicInstant(nanoseconds: max(earliest.nanoseconds, 1)).timeSpec
        }
        if timerfd_settime(timerFD, Int32(TFD_TIMER_ABSTIME), &setting, nil) != 0 {
            logger.error("timerfd_settime failed", metadata: [LogKey.error: "errno \(errno)"])
        }
    }

    /// A transfer began gathering response bytes; they are handed over when curl's round of callbacks ends.
    func batchStarted(_ transfer: AttachedTransfer) {
        startedBatches.append(transfer)
    }

    /// Hands over the response bytes gathered since the last call, then finishes every transfer curl reported
    /// done (found through `CURLINFO_PRIVATE`), so a body's last bytes always come before its end.
    private func collectFinished() {
        for transfer in startedBatches {
            transfer.flushReceivedBatch()
        }
        startedBatches.removeAll(keepingCapacity: true)
        while let (easy, code) = multi?.nextFinished() {
            guard let context = EasyHandle.privateData(of: easy) else { continue }
            let transfer = Unmanaged<AttachedTransfer>.fromOpaque(context).takeUnretainedValue()
            if code == .ok {
                detach(transfer, .success(()))
            } else {
                let error = CurlError(.easy(code), detail: transfer.easy.errorText)
                logger.debug("An upstream transfer failed", metadata: [LogKey.underlying: "\(error)"])
                detach(transfer, .failure(error.gatewayError))
            }
        }
    }

    // MARK: - Commands

    private func handle(_ command: CurlLoop.Command) {
        switch command {
        case .start(let transfer):
            start(transfer)
        case .resumeReceive(let transfer):
            guard let attached = attached[ObjectIdentifier(transfer)] else { return }
            do {
                try attached.resumeReceive()
            } catch {
                abort(attached, error.gatewayError)
            }
        case .resumeSend(let transfer):
            guard let attached = attached[ObjectIdentifier(transfer)] else { return }
            do {
                try attached.resumeSend()
            } catch {
                abort(attached, error.gatewayError)
            }
        case .cancel(let transfer):
            guard let attached = attached[ObjectIdentifier(transfer)] else { return }
            detach(attached, .failure(.transferCancelled))
        case .shutdown:
            stopping = true
        }
    }

    private func start(_ transfer: Transfer) {
        guard !transfer.isCancelled else {
            transfer.finished(.failure(.transferCancelled))
            return
        }
        guard let multi, let share else {
            transfer.finished(.failure(.loopStopped))
            return
        }
        let attached: AttachedTransfer
        do {
            attached = AttachedTransfer(transfer: transfer, reactor: self, easy: try easyHandles.take())
        } catch {
            transfer.finished(.failure(error.gatewayError))
            return
        }
        let context = Unmanaged.passRetained(attached)
        do {
            try attached.configure(context: context.toOpaque(), share: share)
            try multi.add(attached.easy)
        } catch {
            context.release()
            transfer.finished(.failure(error.gatewayError))
            return
        }
        attached.inMultiHandle = true
        self.attached[ObjectIdentifier(transfer)] = attached
    }

    /// Cancels a transfer from the curl thread (first-byte timeout, a failed resume, shutdown).
    private func abort(_ attached: AttachedTransfer, _ error: GatewayError) {
        _ = attached.transfer.markCancelled(error)
        detach(attached, .failure(error))
    }

    /// Takes a transfer out of the multi handle, then releases curl's context and finishes it: a removal produces
    /// no `CURLMSG_DONE`, so the transfer is finished here, which wakes whoever waits on its queues.
    private func detach(_ attached: AttachedTransfer, _ outcome: Result<Void, GatewayError>) {
        guard attached.inMultiHandle else { return }
        do {
            try multi?.remove(attached.easy)
            // Only a handle curl let go of may serve another transfer.
            easyHandles.giveBack(attached.easy, defaultBuffers: attached.usesDefaultBuffers)
        } catch {
            logger.error("curl_multi_remove_handle failed", metadata: [LogKey.error: "\(error)"])
        }
        attached.inMultiHandle = false
        self.attached[ObjectIdentifier(attached.transfer)] = nil
        Unmanaged.passUnretained(attached).release()
        attached.transfer.finished(outcome)
    }

    /// Fails what is left, removes every easy handle, then cleans up the multi and share handles (their
    /// callbacks still find this reactor alive) and closes the descriptors.
    private func tearDown() {
        for transfer in attached.values {
            abort(transfer, .loopStopped)
        }
        loop.stop()
        easyHandles.removeAll()
        multi = nil
        share = nil
        close(timerFD)
        close(epollFD)
    }

    // MARK: - curl's callbacks

    /// `CURLMOPT_SOCKETFUNCTION`: watch `socket` for `what`, or stop watching it, synchronously.
    fileprivate func socketChanged(_ socket: curl_socket_t, _ what: Int32) {
        if what == fg_CURL_POLL_REMOVE {
            if watchedSockets.remove(socket) != nil {
                parkedSockets.insert(socket)
            }
            return
        }
        var events: UInt32 = 0
        if what & fg_CURL_POLL_IN != 0 { events |= fg_EPOLLIN }
        if what & fg_CURL_POLL_OUT != 0 { events |= fg_EPOLLOUT }
        do {
            try watch(socket, events: events)
        } catch {
            loop.socketWatchFailed()
            logger.error("A curl socket could not be watched", metadata: [LogKey.error: "\(error)"])
        }
    }

    /// `CURLMOPT_TIMERFUNCTION`: keep one deadline; -1 deletes it, 0 means now. Never acts from inside curl.
    fileprivate func timerChanged(milliseconds: Int) {
        curlDeadline = milliseconds < 0 ? nil : MonotonicInstant.now().advanced(byMilliseconds: milliseconds)
    }

    private func watch(_ descriptor: Int32, events: UInt32) throws(CurlError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        let inSet = watchedSockets.contains(descriptor) || parkedSockets.remove(descriptor) != nil
        var result = epoll_ctl(epollFD, inSet ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, descriptor, &event)
        if result != 0, inSet, errno == ENOENT {
            // A parked entry that went with a closed socket; the descriptor is a new socket.
            result = epoll_ctl(epollFD, EPOLL_CTL_ADD, descriptor, &event)
        }
        guard result == 0 else { throw CurlError(.system("epoll_ctl", errno)) }
        if descriptor != timerFD && descriptor != wakeFD {
            watchedSockets.insert(descriptor)
        }
    }
}

@available(*, unavailable)
extension CurlReactor: Sendable {}

private func reactorSocketCallback(
    _ easy: UnsafeMutableRawPointer?,
    _ socket: curl_socket_t,
    _ what: Int32,
    _ userData: UnsafeMutableRawPointer?,
    _ socketData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let userData else { return -1 }
    Unmanaged<CurlReactor>.fromOpaque(userData).takeUnretainedValue().socketChanged(socket, what)
    return 0
}

private func reactorTimerCallback(
    _ multi: UnsafeMutableRawPointer?,
    _ milliseconds: Int,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let userData else { return -1 }
    Unmanaged<CurlReactor>.fromOpaque(userData).takeUnretainedValue().timerChanged(milliseconds: milliseconds)
    return 0
}
