import Glibc
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Counts finished requests across the connections (all on one event loop) and marks the start and end of the
/// measured part.
final class RequestCounter: @unchecked Sendable {
    static let warmUp = 2000
    let total: Int
    let finished: EventLoopPromise<Void>
    private(set) var done = 0
    private(set) var started = 0
    private(set) var measureStart: (cpu: Double, wall: Double)?

    init(total: Int, finished: EventLoopPromise<Void>) {
        self.total = total
        self.finished = finished
    }

    /// Whether another request may go out.
    func mayStart() -> Bool {
        guard started < total else { return false }
        started += 1
        return true
    }

    func requestDone() {
        done += 1
        if done == Self.warmUp { measureStart = (cpuMicroseconds(), wallSeconds()) }
        if done == total { finished.succeed() }
    }
}

/// One keep-alive connection: sends the GET, and the next one when an answer ends.
final class RepeatingGetHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let counter: RequestCounter

    init(path: String, host: String, key: String, counter: RequestCounter) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Authorization", value: "Bearer \(key)")
        head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        self.counter = counter
    }

    func channelActive(context: ChannelHandlerContext) {
        sendNext(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            guard response.status == .ok else {
                print("nio-floor: the upstream answered \(response.status.code)")
                exit(1)
            }
        case .body:
            break
        case .end:
            counter.requestDone()
            sendNext(context: context)
        }
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard counter.mayStart() else { return }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

func runClient(url: String, key: String, requests: Int) throws {
    // http://HOST:PORT/PATH
    let rest = url.dropFirst("http://".count)
    let authority = String(rest.prefix { $0 != "/" })
    let path = String(rest.dropFirst(authority.count))
    let host = String(authority.prefix { $0 != ":" })
    let port = Int(authority.dropFirst(host.count + 1))!
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    let counter = RequestCounter(total: RequestCounter.warmUp + requests, finished: loop.makePromise())
    for _ in 0..<64 {
        _ = try ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        RepeatingGetHandler(path: path, host: authority, key: key, counter: counter)
                    )
                }
            }
            .connect(host: host, port: port)
            .wait()
    }
    try counter.finished.futureResult.wait()
    let start = try loop.submit { counter.measureStart! }.wait()
    let cpu = cpuMicroseconds() - start.cpu
    let wall = wallSeconds() - start.wall
    let requestsPerSecond = Int((Double(requests) / wall).rounded())
    let cpuPerRequest = (cpu / Double(requests) * 10).rounded() / 10
    print("\(requestsPerSecond) \(cpuPerRequest)")
}

func cpuMicroseconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let seconds = Double(usage.ru_utime.tv_sec) + Double(usage.ru_stime.tv_sec)
    let microseconds = Double(usage.ru_utime.tv_usec) + Double(usage.ru_stime.tv_usec)
    return seconds * 1e6 + microseconds
}

func wallSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
