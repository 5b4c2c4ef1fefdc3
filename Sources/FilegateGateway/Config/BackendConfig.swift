public import FilegateCore
public import FilegateDialects

/// One configured backend, checked: where its files live and which purposes and expiries it takes.
public struct BackendConfig: Hashable, Sendable {
    /// Where a backend's files live: on this machine, or behind a remote API.
    public enum Location: Hashable, Sendable {
        /// The local backend's folder, absolute.
        case local(directory: String)
        case remote(RemoteBackendConfig)
    }

    /// Unique among backends, `[A-Za-z0-9_-]+`: routed file ids and logs carry it.
    public var name: String
    public var kind: BackendKind
    public var location: Location
    /// The purposes this backend takes on create; `nil` means its dialect's default (DESIGN.md "Purposes").
    public var purposes: Set<Purpose>?
    /// The `expires_after` seconds it takes: given, else the kind's default.
    public var expiresAfterRange: ClosedRange<Int64>?
    /// Filled in on creates that carry no `expires_after`; inside `expiresAfterRange`.
    public var defaultExpiresAfterSeconds: Int64?
    /// The largest create body (HTTP body bytes) this backend takes: its own setting, else the top-level one.
    public var maxUploadBytes: Int64

    public init(
        name: String,
        kind: BackendKind,
        location: Location,
        purposes: Set<Purpose>? = nil,
        expiresAfterRange: ClosedRange<Int64>? = nil,
        defaultExpiresAfterSeconds: Int64? = nil,
        maxUploadBytes: Int64 = GatewayConfig.defaultMaxUploadBytes
    ) {
        self.name = name
        self.kind = kind
        self.location = location
        self.purposes = purposes
        self.expiresAfterRange = expiresAfterRange
        self.defaultExpiresAfterSeconds = defaultExpiresAfterSeconds
        self.maxUploadBytes = maxUploadBytes
    }
}

/// How filegate reaches a remote backend: its base URL, its credential and the dialect's extra settings.
public struct RemoteBackendConfig: Hashable, Sendable {
    /// The dialect filegate speaks to it: the kind's, at `api_version` for the dated one.
    public var dialect: Dialect
    /// `http(s)://host[:port][/prefix]`, no query, no trailing `/`.
    public var endpoint: String
    public var apiKey: Secret
    /// The dated dialect's `api-version` (`2024-06-01`, `2025-04-01-preview`); `nil` for the other kinds.
    public var apiVersion: String?
    /// `OpenAI-Organization`, sent only to an `openai` backend.
    public var organization: String?
    /// `OpenAI-Project`, sent only to an `openai` backend.
    public var project: String?
    /// Trusted CAs for an https endpoint, instead of the system's; absolute.
    public var caFile: String?
    public var connectTimeoutSeconds: Int64 = 10
    /// Counted from the end of the request body to the answer's first byte.
    public var firstByteTimeoutSeconds: Int64 = 120
    /// A backend list longer than this is an error, not unbounded work (DESIGN.md "Paging a backend without paging").
    public var maxListEntries = 100_000
    /// Transfers to this backend at once (`max_upstream_connections`); more wait in filegate's own queue.
    public var maxUpstreamConnections = 256
    /// How long a request waits in that queue before a 503 (`upstream_queue_timeout_seconds`).
    public var upstreamQueueTimeoutSeconds: Int64 = 10

    public init(
        dialect: Dialect,
        endpoint: String,
        apiKey: Secret,
        apiVersion: String? = nil,
        organization: String? = nil,
        project: String? = nil
    ) {
        self.dialect = dialect
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.organization = organization
        self.project = project
    }
}
