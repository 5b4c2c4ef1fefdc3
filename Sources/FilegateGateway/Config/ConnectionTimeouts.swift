/// How long a client connection may keep filegate waiting, and how a closing connection is drained (issue 5 points 3
/// and 4).
///
/// Each timeout measures time filegate spends waiting for the client alone, never time it waits for an upstream, so a
/// slow client costs a bounded time and a slow upstream never cuts a patient client off.
public struct ConnectionTimeouts: Hashable, Sendable {
    /// The whole request head, from its first byte (from the connection's start for the first request):
    /// `client_header_timeout_seconds`. A head cut short gets 408; a connection that sent nothing is closed.
    public var header: Duration
    /// No body byte for this long while filegate is ready to read one: `client_body_timeout_seconds` (408).
    public var body: Duration
    /// Idle between requests, before the next head's first byte: `keepalive_timeout_seconds` (closed silently).
    public var keepAlive: Duration
    /// A client that reads nothing of an answer for this long while filegate has bytes for it: `send_timeout_seconds`
    /// (the connection is cut).
    public var send: Duration
    /// After filegate's last answer, the longest it reads and drops what the client still sends before closing, so
    /// the client sees the answer rather than a reset: `lingering_close_seconds`.
    public var lingeringClose: Duration
    /// The most bytes that lingering read drops before closing anyway: `lingering_close_bytes`.
    public var lingeringCloseBytes: Int

    public init(
        header: Duration = .seconds(10),
        body: Duration = .seconds(20),
        keepAlive: Duration = .seconds(15),
        send: Duration = .seconds(60),
        lingeringClose: Duration = .seconds(5),
        lingeringCloseBytes: Int = 4_194_304
    ) {
        self.header = header
        self.body = body
        self.keepAlive = keepAlive
        self.send = send
        self.lingeringClose = lingeringClose
        self.lingeringCloseBytes = lingeringCloseBytes
    }
}
