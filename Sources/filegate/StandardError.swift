#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines for the operator on standard error, kept apart from a command's output on standard output.
enum StandardError {
    /// Writes `line` and a newline to file descriptor 2, unbuffered, so it is never lost at exit.
    static func write(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { buffer in
                #if canImport(Glibc)
                Glibc.write(2, buffer.baseAddress, buffer.count)
                #else
                Darwin.write(2, buffer.baseAddress, buffer.count)
                #endif
            }
            guard written > 0 else { return }
            offset += written
        }
    }
}
