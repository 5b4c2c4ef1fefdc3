import Glibc
import NIOCore

/// Takes CRLF-terminated lines off the front of a growing buffer, for both parsers' line-based sections.
///
/// Remembers how far it already searched, so a line arriving one byte at a time is scanned once, not once per byte.
/// That only holds while the caller leaves unconsumed bytes in place and appends to them, as a cumulation buffer does.
struct LineReader: Sendable {
    /// What one attempt to read a line found.
    enum Outcome {
        /// A whole line, without its CRLF.
        case line([UInt8])
        /// No LF yet, and the line is still within its bound.
        case incomplete
        /// The line is known to be longer than allowed, with or without its LF.
        case tooLong
        /// A LF not preceded by CR.
        case bareLF
        /// A CR inside the line.
        case bareCR
    }

    /// Readable bytes already searched for a LF.
    private var scanned = 0

    /// Consumes one line of at most `maxContent` bytes (CRLF excluded) when it has all arrived.
    mutating func read(_ buffer: inout ByteBuffer, maxContent: Int) -> Outcome {
        let start = scanned
        // memchr, as the multipart parser's scan: byte by byte, this search was a tenth of a request head's parsing.
        let lineFeed: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard start < bytes.count, let base = bytes.baseAddress,
                let found = memchr(base + start, Int32(ASCII.lf), bytes.count - start)
            else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
        guard let lineFeed else {
            scanned = buffer.readableBytes
            // The bytes so far hold at least readableBytes - 1 content bytes: the last one may be the CR.
            return buffer.readableBytes > maxContent + 1 ? .tooLong : .incomplete
        }
        scanned = 0
        guard lineFeed <= maxContent + 1 else { return .tooLong }
        guard lineFeed > 0, buffer.getInteger(at: buffer.readerIndex + lineFeed - 1, as: UInt8.self) == ASCII.cr,
            var line = buffer.readBytes(length: lineFeed + 1)
        else { return .bareLF }
        line.removeLast(2)
        return line.contains(ASCII.cr) ? .bareCR : .line(line)
    }
}
