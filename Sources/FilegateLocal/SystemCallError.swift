import Glibc

/// A failed system call and its `errno`, as the local store's file I/O reports it.
///
/// It names the call, never the path, so its text is safe in a log line; it reaches clients only as
/// `GatewayError.internalError`'s log-only `underlying`.
struct SystemCallError: Error, Hashable, Sendable, CustomStringConvertible {
    var call: String
    var errno: CInt

    init(_ call: String, errno: CInt = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
