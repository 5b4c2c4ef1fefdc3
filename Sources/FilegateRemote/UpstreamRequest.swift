public import FilegateCore
public import FilegateWire

/// One request to an upstream, exactly as it goes on the wire: method, URL, header fields, body.
///
/// The RemoteBackend builds it from an `Operation` in the backend's dialect; `CurlLoop.perform(_:)` sends it.
/// Nothing is added to the header fields but what HTTP framing needs (`Host`, `Content-Length`) and an empty
/// `Expect:`; curl's default `Accept` is removed unless a field sets one.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    /// Every field to send, in order; no `Content-Length` (it comes from the body's length).
    public var headers: [(String, String)]
    /// The upstream's key as the field that carries it (`Authorization: Bearer …` or `api-key`), sent before
    /// `headers`; a `Secret` until curl's header lines are built, so a printed or dumped request never shows it.
    public var credential: (name: String, value: Secret)?
    /// Streamed; its length must be `.known` (filegate never sends a chunked body upstream).
    public var body: Body?
    public var connectTimeout: Duration
    /// How long to wait for the first byte of the answer, counted from the end of the request body.
    public var firstByteTimeout: Duration
    /// A PEM file of CA certificates that replaces the system's, for an upstream with a private CA.
    public var caFile: String?
    /// Whether the answer is file content, received through a 512 KiB buffer, its head handed over at once. A JSON
    /// answer keeps curl's 16 KiB rather than allocating and freeing 512 KiB per small request (freeing a chunk that
    /// large makes glibc consolidate its free lists, 2.5% of the curl thread's samples on small GETs), and its head
    /// waits for its body, so the caller wakes once (`Transfer.StateMachine`'s `headWaitsForBody`).
    public var receivesContent: Bool

    public init(
        method: String,
        url: String,
        headers: [(String, String)] = [],
        credential: (name: String, value: Secret)? = nil,
        body: Body? = nil,
        connectTimeout: Duration = .seconds(10),
        firstByteTimeout: Duration = .seconds(120),
        caFile: String? = nil,
        receivesContent: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.credential = credential
        self.body = body
        self.connectTimeout = connectTimeout
        self.firstByteTimeout = firstByteTimeout
        self.caFile = caFile
        self.receivesContent = receivesContent
    }
}

/// An upstream's answer: the final status and header fields, and the body still streaming.
///
/// A status of 300 or more is an answer like any other here: the caller decides what it means.
public struct UpstreamResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    /// Iterate it once; it throws when the upstream cuts the body short, and dropping it unfinished cancels the
    /// transfer.
    public var body: Body
    /// The transfer behind `body`, when curl fetched it: its buffer counters show backpressure at work in tests.
    var transfer: Transfer?

    public init(status: Int, headers: HTTPHeaders, body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}
