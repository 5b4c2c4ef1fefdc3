/// One configured client: whose key it is (as a SHA-256 hash) and which backends it may use.
public struct ClientConfig: Hashable, Sendable {
    /// Unique among clients; logs name the client by it.
    public var name: String
    /// The SHA-256 of the client's key, 64 lowercase hex digits; the key itself is never stored.
    public var keySHA256: String
    /// Names of configured backends this client may reach, non-empty.
    public var backends: [String]
    /// The backend a create goes to unless the client picks another; one of `backends`.
    public var defaultBackend: String

    public init(name: String, keySHA256: String, backends: [String], defaultBackend: String) {
        self.name = name
        self.keySHA256 = keySHA256
        self.backends = backends
        self.defaultBackend = defaultBackend
    }
}
