import FilegateDialects
public import FilegateWire
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// filegate's configuration, read from a JSON file and checked as a whole (DESIGN.md "Config conventions").
///
/// Loading either yields a config whose every value is usable as is (paths absolute, keys read, defaults filled) or
/// a `ConfigError` listing every problem, so an operator fixes the file in one pass.
public struct GatewayConfig: Hashable, Sendable {
    public static let defaultMaxUploadBytes: Int64 = 536_870_912
    public static let defaultMaxConnections = 4096

    public var listen: ListenAddress
    /// `public_base_url` as the config gives it (no trailing `/`); `nil` when it is left to the listen address.
    public var givenPublicBaseURL: String?
    /// The largest upload body filegate accepts or spools.
    public var maxUploadBytes: Int64
    /// The listener's bounds on a request head: `max_request_line_bytes` (414), `max_header_bytes` and
    /// `max_header_count` (431).
    public var requestLimits: RequestLimits
    /// How long a client connection may keep filegate waiting, and how a closing one is drained: the
    /// `*_timeout_seconds` keys and `lingering_close_seconds` / `lingering_close_bytes`.
    public var connectionTimeouts: ConnectionTimeouts
    /// Client connections served at once (`max_connections`); past it a new one is answered 503 and closed.
    public var maxConnections: Int
    /// Whether every answered request and every closed connection gets an info line (`access_log`); failures are
    /// logged either way.
    public var accessLog: Bool
    /// Absolute folder for what filegate keeps: spooled bodies, its index.
    public var stateDirectory: String
    public var backends: [BackendConfig]
    public var clients: [ClientConfig]
    /// Things that work but deserve a look (an `azure-v1` backend without `default_expires_after_seconds`).
    public var warnings: [String]

    public init(
        listen: ListenAddress,
        givenPublicBaseURL: String? = nil,
        maxUploadBytes: Int64 = GatewayConfig.defaultMaxUploadBytes,
        requestLimits: RequestLimits = RequestLimits(),
        connectionTimeouts: ConnectionTimeouts = ConnectionTimeouts(),
        maxConnections: Int = GatewayConfig.defaultMaxConnections,
        accessLog: Bool = true,
        stateDirectory: String,
        backends: [BackendConfig],
        clients: [ClientConfig],
        warnings: [String] = []
    ) {
        self.listen = listen
        self.givenPublicBaseURL = givenPublicBaseURL
        self.maxUploadBytes = maxUploadBytes
        self.requestLimits = requestLimits
        self.connectionTimeouts = connectionTimeouts
        self.maxConnections = maxConnections
        self.accessLog = accessLog
        self.stateDirectory = stateDirectory
        self.backends = backends
        self.clients = clients
        self.warnings = warnings
    }

    /// Where clients reach filegate, for `Location` headers: `public_base_url`, else `http://<listen>`.
    public var publicBaseURL: String { publicBaseURL(boundPort: listen.port) }

    /// `publicBaseURL` once the listener is bound: with `listen` on port 0, the default URL must name the real port.
    public func publicBaseURL(boundPort: Int) -> String {
        givenPublicBaseURL ?? "http://\(ListenAddress(host: listen.host, port: boundPort))"
    }

    /// Reads and checks the config file at `path`; `${NAME}` in path fields and `api_key_env` are looked up in
    /// `environment`, relative paths resolved against the file's folder.
    public static func load(path: String, environment: [String: String]) throws(ConfigError) -> GatewayConfig {
        let absolute = ConfigReader.resolve(path, against: FileManager.default.currentDirectoryPath)
        guard let data = FileManager.default.contents(atPath: absolute) else {
            throw ConfigError(problems: ["config: cannot read \(absolute)"])
        }
        let directory = ConfigReader.resolve("..", against: absolute)
        return try parse(json: Array(data), directory: directory, environment: environment)
    }

    /// Checks a config document whose relative paths are resolved against `directory` (absolute).
    public static func parse(
        json: [UInt8],
        directory: String,
        environment: [String: String]
    ) throws(ConfigError) -> GatewayConfig {
        guard let root = JSONValue.parse(ByteBuffer(bytes: json)) else {
            throw ConfigError(problems: ["config: not valid JSON"])
        }
        var reader = ConfigReader(directory: directory, environment: environment)
        guard let config = reader.read(root), reader.problems.isEmpty else {
            throw ConfigError(problems: reader.problems)
        }
        return config
    }

    /// A key as a file or standard input holds it: one trailing `\n` (and a `\r` before it) stripped, as
    /// `echo KEY >file` and `echo KEY | filegate hash-key` leave it (DESIGN.md "Config conventions").
    public static func keyText(_ bytes: [UInt8]) -> String {
        var bytes = bytes
        if bytes.last == UInt8(ascii: "\n") {
            bytes.removeLast()
            if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
