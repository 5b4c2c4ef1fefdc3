import Glibc
import NIOCore
import NIOPosix

let body =
    #"{"id":"file-bench","object":"file","bytes":1073741824,"created_at":1700000000,"filename":"1GiB.bin","#
    + #""purpose":"fine-tune","status":"processed","status_details":null}"#
let answer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req_0123456789abcdef0123456789abcdef\r\n"
    + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"

final class FixedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var pending = ByteBuffer()
    private let answerBuffer = ByteBuffer(string: answer)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        while let end = Self.headEnd(in: pending) {
            pending.moveReaderIndex(forwardBy: end)
            context.write(wrapOutboundOut(answerBuffer), promise: nil)
        }
        pending.discardReadBytes()
    }

    /// The offset just past the first CRLFCRLF among the readable bytes.
    private static func headEnd(in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            var index = 3
            while index < bytes.count {
                if bytes[index] == 0x0A, bytes[index - 1] == 0x0D, bytes[index - 2] == 0x0A, bytes[index - 3] == 0x0D {
                    return index + 1
                }
                index += 1
            }
            return nil
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}

/// Serves on 127.0.0.1:`port` with one event loop until killed; prints "listening on PORT" once bound.
func runServer(port: Int) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let server = try ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 256)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(FixedAnswerHandler())
            }
        }
        .bind(host: "127.0.0.1", port: port)
        .wait()
    print("listening on \(port)")
    // Flushed at once: under bench/proxy.sh stdout is a file, and the script waits for this line.
    fflush(nil)
    try server.closeFuture.wait()
}
