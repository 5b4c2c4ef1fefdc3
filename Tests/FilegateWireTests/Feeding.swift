import FilegateCore
import FilegateWire
import NIOCore

/// A request parser's output in comparable form: body chunks merged, the first error last.
enum RequestOutcome: Hashable, CustomStringConvertible {
    case head(RequestHead)
    case body(String)
    case end
    case error(WireError)

    var description: String {
        switch self {
        case .head(let head): "head(\(head.method) \(head.target) \(head.version) \(head.headers))"
        case .body(let text): "body(\(text.debugDescription))"
        case .end: "end"
        case .error(let error): "error(\(error))"
        }
    }
}

/// A multipart parser's output in comparable form: part data merged, the first error last.
enum MultipartOutcome: Hashable, CustomStringConvertible {
    case partHead(MultipartPartHead)
    case partBody(String)
    case partEnd
    case end
    case error(String)

    var description: String {
        switch self {
        case .partHead(let head): "partHead(\(head.name), \(head.filename ?? "-"), \(head.contentType ?? "-"))"
        case .partBody(let text): "partBody(\(text.debugDescription))"
        case .partEnd: "partEnd"
        case .end: "end"
        case .error(let message): "error(\(message))"
        }
    }
}

/// Ways to cut one input into pieces, each fed to a fresh parser through a cumulation buffer.
enum Split {
    /// Every way to cut the input in two, and one byte at a time.
    static func all(_ bytes: [UInt8]) -> [[[UInt8]]] {
        var splits = (0...bytes.count).map { [Array(bytes[..<$0]), Array(bytes[$0...])] }
        splits.append(bytes.map { [$0] })
        return splits
    }
}

/// Feeds `pieces` to a `RequestParser` the way a `ByteToMessageDecoder` does: unconsumed bytes stay, new ones append.
func parseRequest(_ pieces: [[UInt8]], limits: RequestLimits = .init()) -> [RequestOutcome] {
    var parser = RequestParser(limits: limits)
    var buffer = ByteBuffer()
    var outcomes: [RequestOutcome] = []
    do throws(WireError) {
        for piece in pieces {
            buffer.writeBytes(piece)
            while let event = try parser.next(&buffer) {
                switch event {
                case .head(let head): outcomes.append(.head(head))
                case .body(let chunk):
                    let text = String(buffer: chunk)
                    if case .body(let earlier) = outcomes.last {
                        outcomes[outcomes.count - 1] = .body(earlier + text)
                    } else {
                        outcomes.append(.body(text))
                    }
                case .end: outcomes.append(.end)
                }
            }
            buffer.discardReadBytes()
        }
        try parser.finish()
    } catch {
        outcomes.append(.error(error))
    }
    return outcomes
}

func parseRequest(_ text: String, limits: RequestLimits = .init()) -> [RequestOutcome] {
    parseRequest([Array(text.utf8)], limits: limits)
}

/// Feeds `pieces` to a `MultipartParser` through a cumulation buffer.
func parseMultipart(_ pieces: [[UInt8]], boundary: String, limits: MultipartLimits = .init()) -> [MultipartOutcome] {
    var parser = MultipartParser(boundary: boundary, limits: limits)
    var buffer = ByteBuffer()
    var outcomes: [MultipartOutcome] = []
    do throws(GatewayError) {
        for piece in pieces {
            buffer.writeBytes(piece)
            while let event = try parser.next(&buffer) {
                switch event {
                case .partHead(let head): outcomes.append(.partHead(head))
                case .partBody(let chunk):
                    let text = String(buffer: chunk)
                    if case .partBody(let earlier) = outcomes.last {
                        outcomes[outcomes.count - 1] = .partBody(earlier + text)
                    } else {
                        outcomes.append(.partBody(text))
                    }
                case .partEnd: outcomes.append(.partEnd)
                case .end: outcomes.append(.end)
                }
            }
            buffer.discardReadBytes()
        }
        try parser.finish()
    } catch {
        outcomes.append(.error(error.message))
    }
    return outcomes
}

func parseMultipart(_ text: String, boundary: String, limits: MultipartLimits = .init()) -> [MultipartOutcome] {
    parseMultipart([Array(text.utf8)], boundary: boundary, limits: limits)
}

/// The kind of the error an outcome list ends with, if any.
func errorKind(_ outcomes: [RequestOutcome]) -> WireError.Kind? {
    guard case .error(let error) = outcomes.last else { return nil }
    return error.kind
}
