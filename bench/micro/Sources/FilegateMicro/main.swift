// The event loop's own work for one small GET (`GET /v1/files/{id}` as `make bench-proxy` sends it), piece by piece:
// the inbound head parsed, the client's key checked, the path routed, headers sifted both ways, the upstream's file
// object read and rendered, the response head written. Each piece is timed alone in CPU time, best of 5 rounds, so
// a change to one shows in its own line rather than in the noise of a whole request. Then the one pass over every
// uploaded byte, the multipart parser's search for the delimiter, as throughput.

import FilegateCore
import FilegateDialects
import FilegateGateway
import FilegateWire
import Glibc
import NIOCore

/// The process's user and system CPU time, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

/// Keeps a result alive so the optimiser cannot drop the work that made it.
@inline(never) func keep<Value>(_ value: Value) { withExtendedLifetime(value) {} }

let iterations = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 200_000
let rounds = 5

/// Times pieces and adds up their best times.
struct Stopwatch {
    /// The sum of the pieces' best times so far, in nanoseconds.
    private(set) var total = 0.0

    /// Prints the best of `rounds` rounds of `iterations` calls, in nanoseconds per call.
    mutating func time(_ piece: String, _ body: () throws -> Void) rethrows {
        var best = Double.infinity
        for _ in 0..<rounds {
            let start = cpuSeconds()
            for _ in 0..<iterations { try body() }
            best = min(best, (cpuSeconds() - start) / Double(iterations) * 1e9)
        }
        total += best
        Self.report(piece, best)
    }

    static func report(_ piece: String, _ nanoseconds: Double) {
        let gap = String(repeating: " ", count: max(1, 44 - piece.count))
        print("  \(piece)\(gap)\(Int(nanoseconds.rounded())) ns")
    }
}

// What `make bench-proxy` sends and its nginx upstream answers.
let clientKey = "fg-bench-client-0123456789abcdef"
let requestHead = ByteBuffer(
    string: "GET /v1/files/file-bench HTTP/1.1\r\nHost: 127.0.0.1:18081\r\nAuthorization: Bearer \(clientKey)\r\n\r\n"
)
let clientHeaders = HTTPHeaders([("Host", "127.0.0.1:18081"), ("Authorization", "Bearer \(clientKey)")])
let upstreamHeaders = HTTPHeaders([
    ("Server", "nginx/1.22.1"), ("Date", "Thu, 26 Nov 2026 03:48:43 GMT"), ("Content-Type", "application/json"),
    ("Content-Length", "165"), ("Connection", "keep-alive"),
])
let fileObject = ByteBuffer(
    string: #"{"id":"file-bench","object":"file","bytes":1073741824,"created_at":1700000000,"#
        + #""filename":"1GiB.bin","purpose":"fine-tune","status":"processed","status_details":null}"#
)
let keyring = ClientKeyring(clients: [
    ClientConfig(
        name: "bench",
        keySHA256: ClientKeyring.sha256Hex(clientKey),
        backends: ["upstream"],
        defaultBackend: "upstream"
    )
])
let file = try Dialect.openAI.decodeFile(fileObject)
let answerHeaders = HTTPHeaders([
    ("Content-Type", "application/json"), ("x-request-id", "req_0123456789abcdef0123456789abcdef"),
    ("Content-Length", "165"),
])

var stopwatch = Stopwatch()
print("per call, CPU time, best of \(rounds) rounds of \(iterations) calls")
try stopwatch.time("RequestParser, one head") {
    var parser = RequestParser()
    var buffer = requestHead
    while let event = try parser.next(&buffer) { keep(event) }
}
try stopwatch.time("ClientKeyring.authenticate") {
    keep(try keyring.authenticate(apiKeyValues: [], authorizationValues: ["Bearer \(clientKey)"]))
}
try stopwatch.time("DialectRoot.parse") {
    keep(try DialectRoot.openAI.parse(method: "GET", path: "/v1/files/file-bench", query: nil))
}
stopwatch.time("HeaderAllowlist.towardUpstream") {
    keep(HeaderAllowlist.towardUpstream(clientHeaders, for: .metadata))
}
stopwatch.time("HeaderAllowlist.towardClient") {
    keep(HeaderAllowlist.towardClient(upstreamHeaders, forContent: false))
}
try stopwatch.time("Dialect.decodeFile, the upstream's answer") {
    keep(try Dialect.openAI.decodeFile(fileObject))
}
stopwatch.time("Dialect.renderFile, the client's answer") {
    keep(Dialect.openAI.renderFile(file))
}
stopwatch.time("ResponseHead.write") {
    var buffer = ByteBuffer()
    ResponseHead(status: 200, headers: answerHeaders).write(into: &buffer)
    keep(buffer)
}
Stopwatch.report("all of them, one small GET's worth", stopwatch.total)

/// A 64 MiB file part of random bytes fed to the multipart parser in 256 KiB reads, as an upload arrives.
func multipartScanMegabytesPerSecond() throws -> Double {
    let boundary = "------------------------d74496d66958873e"
    var generator = SystemRandomNumberGenerator()
    let content = (0..<(8 << 20)).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64, Array.init) }
    let body =
        Array("--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\n".utf8)
        + content + Array("\r\n--\(boundary)--\r\n".utf8)
    var best = Double.infinity
    for _ in 0..<rounds {
        let start = cpuSeconds()
        var parser = MultipartParser(boundary: boundary)
        var buffer = ByteBuffer()
        var partBytes = 0
        for read in stride(from: 0, to: body.count, by: 256 * 1024) {
            buffer.writeBytes(body[read..<min(read + 256 * 1024, body.count)])
            while let event = try parser.next(&buffer) {
                if case .partBody(let chunk) = event { partBytes += chunk.readableBytes }
            }
            buffer.discardReadBytes()
        }
        precondition(partBytes == content.count, "the parser yielded \(partBytes) of \(content.count) bytes")
        best = min(best, cpuSeconds() - start)
    }
    return Double(content.count) / best / 1e6
}

print("an upload's scan, best of \(rounds) rounds")
print("  MultipartParser, 64 MiB random part        \(Int(try multipartScanMegabytesPerSecond().rounded())) MB/s")
